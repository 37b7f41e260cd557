import type { Store } from '@ax/core';
import { Keyring } from '@ax/crypto';
import { SecretsManager } from '@ax/secrets';
import type { CommandContext } from '../context.js';
import { auditService } from './audit.js';
import { wireSecretsAudit } from './audit-wiring.js';

/** The keyring and secrets manager over the command's store. The master key comes from AX_MASTER_KEY only. */
export interface SecretServices {
  store: Store;
  keyring: Keyring;
  secrets: SecretsManager;
}

/** Opens the keyring (creating it on first use) and the secrets manager for one command run. */
export async function secretServices(ctx: CommandContext): Promise<SecretServices> {
  const store = await ctx.store();
  const keyring = await Keyring.open({
    store: store.keyring,
    env: ctx.env.env,
    // A CLI run encrypts a handful of values then exits, abandoning the rest of its reserved block.
    reserveBlockSize: 64,
    onWarning: (message) => ctx.out.warn(message),
  });
  const audit = await auditService(ctx, { quiet: true });
  const secrets = new SecretsManager({ store, keyring });
  // changes and reads are recorded in their own transaction: no value leaves unrecorded
  wireSecretsAudit(secrets.events, audit);
  return { store, keyring, secrets };
}
