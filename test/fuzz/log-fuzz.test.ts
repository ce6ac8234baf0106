// Hostile logs never reach a stack trace (issue 10): seeded mutations of real
// logs, with recomputed CRCs so they get past the frame layer, through the
// reader, inspect, replay and replay --to. `npm run fuzz` runs many more.
// 2,000 cases in all: this file and log-fuzz-2.test.ts (the next seed).
import { fuzzSuite } from './suite.js';

fuzzSuite(0);
