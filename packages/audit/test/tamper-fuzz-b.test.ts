import { tamperFuzz } from './tamper-fuzz.js';

// The other half of the 10,000 mutations (see tamper-fuzz-a.test.ts).
tamperFuzz(5000, 777001);
