import { aadOf } from '@ax/crypto';

/** The canonical AAD of a secret version: binds tenant, key and version, so a copied ciphertext fails. */
export function secretAad(tenantId: string, key: string, version: number): Buffer {
  return aadOf('ax-secret/1', tenantId, key, version);
}
