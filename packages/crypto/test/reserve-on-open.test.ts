import { aadOf } from '../src/index.js';
import { describe, expect, it } from 'vitest';
import { MemoryKeyringStore } from '../src/index.js';
import { memoryKeyring } from './helpers.js';

// A process that only decrypts or signs (a read command, a denied request) must write nothing to the
// keyring store: with reserveOnOpen false the first reservation waits for the first encryption.
describe('reserveOnOpen: false', () => {
  it('opening, decrypting and signing reserve nothing; the first encryptAsync reserves', async () => {
    const store = new MemoryKeyringStore();
    const writer = await memoryKeyring({ store });
    const aad = aadOf('t', 'k');
    const sealed = await writer.encryptAsync('v', aad);
    const reserved = async () => (await store.load('default'))!.versions.map((v) => v.reservedEncryptions);
    const before = await reserved();

    let calls = 0;
    // a store that counts reservations and forwards every call to the real one
    const counting = new Proxy(store, {
      get(target, prop) {
        const v = Reflect.get(target, prop, target) as unknown;
        if (typeof v !== 'function') return v;
        return (...args: unknown[]) => {
          if (prop === 'reserveEncryptions') calls++;
          return (v as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
    const reader = await memoryKeyring({ store: counting, reserveOnOpen: false });
    expect(Buffer.from(reader.decrypt(sealed, aad)).toString()).toBe('v');
    reader.macSigner('audit.chain').sign(Buffer.from('x'));
    expect(calls).toBe(0);
    expect(await reserved()).toEqual(before);

    await reader.encryptAsync('w', aad);
    expect(calls).toBe(1);
  });
});
