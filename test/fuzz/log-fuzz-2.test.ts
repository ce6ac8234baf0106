// The second half of the 2,000 cases of log-fuzz.test.ts, with the next seed.
import { fuzzSuite } from './suite.js';

fuzzSuite(1);
