// A secondary that is several rounds behind the primary (the pipelined and TCP
// modes: frames for later rounds arrive before it runs the current one) must
// judge each round as if it were in lockstep. Regression: the ND block logged
// after a sync point was already loaded into the replay buffer when the
// secondary reached that point, and its not-yet-due entries were reported as
// "the replay ended before entry 0" (a false input divergence, seen under
// load in the FT kill tests).
import { describe, expect, it } from 'vitest';
import { FrameLink } from '../../src/replay/frame-link.js';
import { Primary } from '../../src/ft/primary.js';
import { Secondary } from '../../src/ft/secondary.js';
import { DropFilter } from '../../src/ft/drop-filter.js';
import { ftOptions } from './helpers.js';

describe('a secondary rounds behind the primary', () => {
  for (const name of ['nondet.mb', 'alu.mb']) {
    it(`${name}: every round reaches the primary's point when all frames arrived first`, async () => {
      const o = ftOptions(name, { clock: 'virtual', slice: 20_000, ram: 4 << 20 }, []);
      // A small ND buffer: blocks end between sync points, so one is pending at every point.
      o.recorder.ndBufferSize = 4;
      const link = new FrameLink();
      const p = new Primary({ ...o.setup, recorder: o.recorder, link });
      const s = new Secondary({ header: link.header(), setup: o.setup, link, loose: [], flips: [], drops: new DropFilter([]) });
      // The primary runs to its end before the secondary starts.
      let rounds = 0;
      for (;;) {
        const stop = await p.runTo(p.icount + 20_000);
        rounds++;
        if (stop.reason === 'limit') p.sync(stop);
        else {
          p.finish(stop);
          break;
        }
      }
      expect(rounds).toBeGreaterThan(3);
      for (let i = 0; i < rounds; i++) {
        const r = await s.runRound();
        expect(r.kind, `round ${i}: ${'message' in r ? r.message : ''}`).toBe('reached');
        if (r.point.kind === 'sync') s.beginRound(r.point.index + 1);
      }
      expect(s.icount).toBe(p.icount);
    });
  }
});
