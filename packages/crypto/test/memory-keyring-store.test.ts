import { keyringStoreSuite } from '@ax/store-testkit';
import { describe, it } from 'vitest';
import { MemoryKeyringStore } from '../src/index.js';

// The keyring suite asks only for a `keyring` port: the in-memory store (no transactions) runs it. Its probe
// reads through `load`, as this store has no storage underneath its own maps.
keyringStoreSuite({ describe, it }, async () => {
  const keyring = new MemoryKeyringStore();
  return {
    store: { keyring },
    probe: {
      async keyringRow(name) {
        const r = await keyring.load(name);
        return r
          ? {
              hkdfSalt: r.hkdfSalt,
              primaryVersion: r.primaryVersion,
              minDecryptionVersion: r.minDecryptionVersion,
              minEncryptionVersion: r.minEncryptionVersion,
            }
          : null;
      },
      async keyVersionRows(name) {
        return ((await keyring.load(name))?.versions ?? []).map(
          ({ version, status, reservedEncryptions }) => ({
            version,
            status,
            reservedEncryptions,
          }),
        );
      },
    },
    cleanup: async () => {},
  };
});
