import { ValidationError } from '@ax/core';
import { describe, expect, it } from 'vitest';
import { hashPassword, needsRehash, verifyPassword } from '../src/index.js';

// Independent vectors computed with Python's hashlib.pbkdf2_hmac (salt = bytes 0..15).
const PASSLIB_29000 =
  '$pbkdf2-sha512$29000$AAECAwQFBgcICQoLDA0ODw$1Ee2AoAhSUPgbPwJX7fLGIdjp66eXW2V/todpkTYL26d2cUGLLVHSWVyXsakzM9WmZqDfnhC60nkw46fzWiE.w';
const PHC_100000 =
  '$pbkdf2-sha512$i=100000$AAECAwQFBgcICQoLDA0ODw$hzaYXq3InP7jFNdKFTiXBaKMc6Hki6FR8fwp8lRCNSzgwBQu/67CPfP4HL9ZakyYey/St+3YqPl5YVpad7RbFQ';
const PEPPER = 'pepper-from-a-kms-0123456789';

describe('passwords', () => {
  it('hashes with Argon2id at OWASP parameters into a PHC string, and verifies', async () => {
    const h = await hashPassword('correct horse');
    expect(h).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    expect(await verifyPassword(h, 'correct horse')).toBe(true);
    expect(await verifyPassword(h, 'correct horsf')).toBe(false);
    expect(await verifyPassword(h, '')).toBe(false);
    expect(await hashPassword('correct horse')).not.toBe(h); // random salt
    expect(needsRehash(h)).toBe(false);
  });

  it('refuses parameters below OWASP and empty or oversized passwords', async () => {
    await expect(hashPassword('x', { memoryCost: 8192 })).rejects.toBeInstanceOf(ValidationError);
    await expect(hashPassword('x', { timeCost: 1 })).rejects.toBeInstanceOf(ValidationError);
    await expect(hashPassword('')).rejects.toBeInstanceOf(ValidationError);
    await expect(hashPassword('x'.repeat(5000))).rejects.toBeInstanceOf(ValidationError);
  });

  it('peppers: a peppered hash needs the pepper, and the pepper never appears in the hash', async () => {
    const h = await hashPassword('hunter2', { pepper: PEPPER });
    expect(await verifyPassword(h, 'hunter2', { pepper: PEPPER })).toBe(true);
    expect(await verifyPassword(h, 'hunter2')).toBe(false);
    expect(await verifyPassword(h, 'hunter2', { pepper: `${PEPPER}x` })).toBe(false);
    expect(h).not.toContain(PEPPER);
    await expect(hashPassword('x', { pepper: 'short' })).rejects.toBeInstanceOf(ValidationError);
  });

  it('needsRehash flags weaker Argon2id parameters, other algorithms and garbage', async () => {
    const strong = await hashPassword('x', { memoryCost: 19_456, timeCost: 3 });
    expect(needsRehash(strong)).toBe(false);
    expect(needsRehash(strong, { timeCost: 4 })).toBe(true);
    expect(needsRehash(strong, { memoryCost: 65_536 })).toBe(true);
    expect(
      needsRehash(
        '$argon2id$v=19$m=4096,t=3,p=1$c29tZXNhbHRzb21lc2FsdA$ZGlnZXN0ZGlnZXN0ZGlnZXN0ZGlnZXN0ZGlnZXN0',
      ),
    ).toBe(true);
    expect(needsRehash(PASSLIB_29000)).toBe(true);
    expect(needsRehash('$2b$12$abcdefghijklmnopqrstuu')).toBe(true);
    expect(needsRehash('nonsense')).toBe(true);
  });

  it('verifies imported PBKDF2-SHA512 hashes in passlib and PHC spellings', async () => {
    expect(await verifyPassword(PASSLIB_29000, 'password')).toBe(true);
    expect(await verifyPassword(PASSLIB_29000, 'Password')).toBe(false);
    expect(await verifyPassword(PHC_100000, 'correct horse battery staple')).toBe(true);
    expect(await verifyPassword(PHC_100000, 'correct horse battery stapler')).toBe(false);
  });

  it('rejects tampered or malformed imported hashes without throwing', async () => {
    const tampered = [
      PASSLIB_29000.replace('29000', '29001'),
      PASSLIB_29000.replace('AAECAwQF', 'AAECAwQG'),
      PASSLIB_29000.slice(0, -2),
      PASSLIB_29000.replace('pbkdf2-sha512', 'pbkdf2-sha256'),
      '$pbkdf2-sha512$999$AAECAwQFBgcICQoLDA0ODw$1Ee2AoAhSUPgbPwJX7fLGIdjp66eXW2V/todpkTYL26d2cUGLLVHSWVyXsakzM9WmZqDfnhC60nkw46fzWiE.w',
      '$pbkdf2-sha512$99999999$AAECAwQFBgcICQoLDA0ODw$1Ee2AoAhSUPgbPwJX7fLGIdjp66eXW2V/todpkTYL26d2cUGLLVHSWVyXsakzM9WmZqDfnhC60nkw46fzWiE.w',
      '$pbkdf2-sha512$29000$AAEC$1Ee2AoAhSUPgbPwJX7fLGIdjp66eXW2V/todpkTYL26d2cUGLLVHSWVyXsakzM9WmZqDfnhC60nkw46fzWiE.w',
      '$argon2id$v=19$m=4294967295,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$ZGlnZXN0ZGlnZXN0ZGlnZXN0ZGlnZXN0ZGlnZXN0',
      '$argon2i$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$ZGlnZXN0ZGlnZXN0ZGlnZXN0ZGlnZXN0ZGlnZXN0',
      '',
    ];
    for (const h of tampered) expect(await verifyPassword(h, 'password'), h).toBe(false);
  });

  it('refuses, without doing the work, stored Argon2id hashes that demand unbounded passes or lanes', async () => {
    // A tampered or hostile imported hash: t=100000 at 19 MiB would run for many minutes per verify.
    const salt = 'c29tZXNhbHRzb21lc2FsdA';
    const digest = 'ZGlnZXN0ZGlnZXN0ZGlnZXN0ZGlnZXN0ZGlnZXN0';
    for (const params of ['m=19456,t=100000,p=1', 'm=19456,t=2,p=4096']) {
      expect(await verifyPassword(`$argon2id$v=19$${params}$${salt}$${digest}`, 'password'), params).toBe(
        false,
      );
    }
  }, 10_000);

  it('never produces a hash that verifyPassword would refuse as too expensive', async () => {
    await expect(hashPassword('x', { memoryCost: 1024 * 1024 + 1 })).rejects.toBeInstanceOf(ValidationError);
    await expect(hashPassword('x', { timeCost: 101 })).rejects.toBeInstanceOf(ValidationError);
    await expect(hashPassword('x', { parallelism: 17 })).rejects.toBeInstanceOf(ValidationError);
  });
});
