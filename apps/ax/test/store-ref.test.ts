import { describe, expect, it } from 'vitest';
import { openStore, parseStoreRef } from '../src/store-ref.js';

describe('store references (--store / AX_STORE)', () => {
  it('reads a file path or sqlite:<path>, relative to the working directory', () => {
    expect(parseStoreRef('x.db', '/srv')).toMatchObject({ kind: 'sqlite', path: '/srv/x.db' });
    expect(parseStoreRef('sqlite:data/x.db', '/srv')).toMatchObject({
      kind: 'sqlite',
      path: '/srv/data/x.db',
    });
    expect(parseStoreRef('sqlite:///abs/x.db', '/srv')).toMatchObject({ kind: 'sqlite', path: '/abs/x.db' });
    expect(parseStoreRef('/abs/y.db', '/srv')).toMatchObject({ kind: 'sqlite', path: '/abs/y.db' });
  });

  it('reads a postgres URL and never shows its password', () => {
    const ref = parseStoreRef('postgres://app:hunter2@127.0.0.1:5432/ax', '/srv');
    expect(ref.kind).toBe('postgres');
    expect(ref.display).not.toContain('hunter2');
  });

  it('refuses an empty reference and an unknown scheme with VALIDATION', () => {
    expect(() => parseStoreRef('  ', '/srv')).toThrow(expect.objectContaining({ code: 'VALIDATION' }));
    expect(() => parseStoreRef('mysql://x', '/srv')).toThrow(expect.objectContaining({ code: 'VALIDATION' }));
    expect(() => parseStoreRef('sqlite:', '/srv')).toThrow(expect.objectContaining({ code: 'VALIDATION' }));
  });

  it('names the missing adapter instead of failing with a stack trace', async () => {
    const ref = parseStoreRef('postgres://app:pw@127.0.0.1:1/ax', '/srv');
    const err = await openStore(ref, { migrate: false }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'NOT_FOUND' });
    expect(String((err as Error).message)).toContain('@ax/store-postgres');
    expect(String((err as Error).message)).not.toContain('pw@');
  });
});
