import { auditStoreSuite } from '@ax/store-testkit';
import { describe, it } from 'vitest';
import { sqliteAuditFixture } from './probes-audit.js';

auditStoreSuite({ describe, it }, sqliteAuditFixture);
