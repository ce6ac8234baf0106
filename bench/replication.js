// `npm run bench` (last part): the replication rules at cluster scale, by
// simulation (src/cluster/simulate.ts; the model is in docs/replication.md).
// 100 primary nodes, 50 secondary, 5,000 VMs with seeded sizes, caches and
// dirty rates; 3 rounds, one secondary failing every copy in round 2. For
// vmrr's rules and two naive ones (round-robin, random): bytes sent to the
// secondary cluster and pulled between primaries, the busiest secondary's
// share, the modelled round time, VMs not stored; and the median host time
// the vmrr rules take to decide a round.
// Usage: node bench/replication.js [--seed N] [--vms N] [--json]
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { simulate } from '../dist/cluster/simulate.js';
import { assignDestinations, assignSources } from '../dist/cluster/rules.js';

const { values: args } = parseArgs({
  options: { seed: { type: 'string' }, vms: { type: 'string' }, json: { type: 'boolean', default: false } },
});
const opts = { seed: Number(args.seed ?? 1), primaries: 100, secondaries: 50, vms: Number(args.vms ?? 5000), rounds: 3, failRound: 2 };
const GIB = 2 ** 30;
const rows = [];
for (const rule of ['vmrr', 'round-robin', 'random']) {
  const rounds = simulate(rule, opts);
  const sum = (f) => rounds.reduce((s, r) => s + f(r), 0);
  rows.push({
    rule,
    toSecondaryGiB: sum((r) => r.toSecondary) / GIB,
    pulledGiB: sum((r) => r.pulled) / GIB,
    busiestShare: Math.max(...rounds.map((r) => r.busiestShare)),
    roundSeconds: rounds.map((r) => r.roundMs / 1000),
    failedCopies: sum((r) => r.failedCopies),
    notStored: sum((r) => r.notStored),
  });
}

// Host time of the rules themselves for one round of this size (median of 7).
const vms = Array.from({ length: opts.vms }, (_, i) => ({ vm: `vm${i}`, cached: { [`p${i % 100}`]: 1e6 + i, [`p${(i * 7) % 100}`]: 2e6 } }));
const needs = vms.map((v, i) => ({ vm: v.vm, full: 1e8 + i, delta: 1e6, prev: `s${i % 50}` }));
const targets = Array.from({ length: 50 }, (_, i) => ({ id: `s${i}`, free: 1e13, stats: { bytes: 1e9 * (i + 1), ms: 1e4, attempts: 10, failures: i % 3 } }));
const times = [];
for (let k = 0; k < 7; k++) {
  const t0 = performance.now();
  assignSources(vms);
  assignDestinations(needs, targets);
  times.push(performance.now() - t0);
}
times.sort((a, b) => a - b);
const ruleMs = times[3];

if (args.json) {
  console.log(JSON.stringify({ options: opts, rows, ruleMedianMs: ruleMs }, null, 2));
} else {
  console.log(`replication simulation: ${opts.primaries} primary nodes, ${opts.secondaries} secondary, ${opts.vms} VMs, ${opts.rounds} rounds (seed ${opts.seed}; secondary s007 fails every copy in round ${opts.failRound})`);
  console.log('rule         to secondary  pulled between  busiest    round time (s) per round   failed  not');
  console.log('             (GiB)         primaries (GiB) secondary                              copies  stored');
  for (const r of rows) {
    console.log(
      `${r.rule.padEnd(12)} ${r.toSecondaryGiB.toFixed(1).padStart(10)}  ${r.pulledGiB.toFixed(1).padStart(14)}  ${(r.busiestShare * 100).toFixed(1).padStart(6)}%    ${r.roundSeconds.map((s) => s.toFixed(1).padStart(7)).join(' ')}     ${String(r.failedCopies).padStart(6)}  ${String(r.notStored).padStart(5)}`,
    );
  }
  console.log(`vmrr rules decide a ${opts.vms}-VM round in ${ruleMs.toFixed(1)} ms (median of 7, host time)`);
}
