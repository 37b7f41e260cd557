import { quotaStoreSuite } from '@ax/store-testkit';
import { describe, it } from 'vitest';
import { sqliteTenancyFixture } from './probes-tenancy.js';

quotaStoreSuite({ describe, it }, sqliteTenancyFixture);
