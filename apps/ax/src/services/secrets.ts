import type { Store } from '@ax/core';
import type { Keyring } from '@ax/crypto';
import type { SecretsManager } from '@ax/secrets';
import type { CommandContext } from '../context.js';

/** The keyring and secrets manager over the command's store. The master key comes from AX_MASTER_KEY only. */
export interface SecretServices {
  store: Store;
  keyring: Keyring;
  secrets: SecretsManager;
}

/** The keyring (opened once per process, created on first use) and the secrets manager of the services root. */
export async function secretServices(ctx: CommandContext): Promise<SecretServices> {
  const services = await ctx.services();
  const [keyring, secrets] = await Promise.all([services.keyring(), services.secrets()]);
  return { store: services.store, keyring, secrets };
}
