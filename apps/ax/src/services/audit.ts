import { AuditLog } from '@ax/audit';
import { Keyring } from '@ax/crypto';
import type { CommandContext } from '../context.js';

/** The MAC purpose audit signatures use in the keyring: one key per purpose and version. */
export const AUDIT_MAC_PURPOSE = 'audit.chain';

/**
 * The audit log as the CLI composes it: the command's store, the keyring in that store (master key from
 * AX_MASTER_KEY), and its `audit.chain` MAC signer. Keyring warnings (dev key) go to stderr.
 */
export async function auditService(ctx: CommandContext): Promise<AuditLog> {
  const store = await ctx.store();
  const keyring = await Keyring.open({
    store: store.keyring,
    env: { ...ctx.env.env },
    onWarning: (m) => ctx.out.warn(m),
  });
  return new AuditLog({ store, signer: keyring.macSigner(AUDIT_MAC_PURPOSE) });
}
