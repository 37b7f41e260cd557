import { keyringStoreSuite } from '@ax/store-testkit';
import { describe, it } from 'vitest';
import { sqliteKeyringFixture } from './probes-keyring.js';

keyringStoreSuite({ describe, it }, sqliteKeyringFixture);
