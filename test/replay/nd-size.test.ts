// Log bytes per RDTSC: a size, measured on the frames as written (frame
// headers, CBOR and check values included). Target: at most 3 (8 raw).
import { describe, expect, it } from 'vitest';
import { ND_RDTSC } from '../../src/replay/nd-block.js';
import { Rng, tempDir } from './helpers.js';
import { FakeHost, record, replay, type NdStep } from './nd-harness.js';

const dir = tempDir();
const N = 100_000;

/** A guest reading the TSC in a 9-instruction loop, as fixtures/nondet.mb does. */
function loop(n: number): NdStep[] {
  return Array.from({ length: n }, (_, i) => ({ kind: ND_RDTSC, icount: 1000 + 9 * i, eip: 0x100123, bits: 32 }));
}

function bytesPerRdtsc(name: string, tscStep: () => number): number {
  const steps = loop(N);
  const rec = record(dir, name, steps, 4096, new FakeHost(1, tscStep));
  expect(replay(rec.path, steps).values).toEqual(rec.values);
  return rec.writer.tally.nd.bytes / N;
}

describe('ND log size', () => {
  it('stays at or under 3 bytes per RDTSC with a host clock (steps of 400-900 ticks, 2% stalls)', () => {
    // The step distribution measured recording fixtures/nondet.mb with the host clock at 1000 MHz.
    const rng = new Rng(5);
    const perRdtsc = bytesPerRdtsc('host.vmrr', () => (rng.int(0, 49) === 0 ? rng.int(2000, 30000) : rng.int(400, 900)));
    console.log(`bytes per RDTSC, host-like clock: ${perRdtsc.toFixed(3)}`);
    expect(perRdtsc).toBeLessThanOrEqual(3);
  });

  it('needs about 2 bytes per RDTSC when the TSC follows icount (virtual clock)', () => {
    const perRdtsc = bytesPerRdtsc('virtual.vmrr', () => 9);
    console.log(`bytes per RDTSC, virtual clock: ${perRdtsc.toFixed(3)}`);
    expect(perRdtsc).toBeLessThanOrEqual(2.05);
  });

  it('stays under 4 bytes per RDTSC even with steps spread over 0-8191 ticks', () => {
    const rng = new Rng(9);
    expect(bytesPerRdtsc('wide.vmrr', () => rng.int(0, 8191))).toBeLessThanOrEqual(4);
  });
});
