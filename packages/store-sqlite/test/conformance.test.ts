import { coreStoreSuites } from '@ax/store-testkit';
import { describe, it } from 'vitest';
import { sqliteFixture } from './probes.js';

coreStoreSuites({ describe, it }, sqliteFixture);
