import { coreStoreSuites } from '@ax/store-testkit';
import { describe, it } from 'vitest';
import { sqliteFullFixture } from './probes-full.js';

// Every suite of the testkit, against the SQLite adapter with raw probes on independent connections.
coreStoreSuites({ describe, it }, sqliteFullFixture);
