import { secretStoreSuite } from '@ax/store-testkit';
import { describe, it } from 'vitest';
import { sqliteSecretFixture } from './probes-secrets.js';

secretStoreSuite({ describe, it }, sqliteSecretFixture);
