import { tamperFuzz } from './tamper-fuzz.js';

// Half of the 10,000 mutations; tamper-fuzz-b.test.ts runs the other half in a second worker.
tamperFuzz(5000, 20261126);
