import { rbacStoreSuite } from '@ax/store-testkit';
import { describe, it } from 'vitest';
import { sqliteRbacFixture } from './probes-rbac.js';

rbacStoreSuite({ describe, it }, sqliteRbacFixture);
