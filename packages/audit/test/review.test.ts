import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../src/index.js';
import { ctxFor, fixture, T1 } from './helpers.js';

describe('review: canonical JSON and redaction edge cases', () => {
  it('writes holes in sparse arrays as null (valid JSON), like JSON.stringify', () => {
    // biome-ignore lint/suspicious/noSparseArray: the case under test
    const sparse = [, 1, , 2];
    expect(canonicalJson({ a: sparse })).toBe('{"a":[null,1,null,2]}');
    expect(canonicalJson(new Array(2))).toBe('[null,null]');
  });

  it('an event with a sparse array in its metadata stays readable and verifiable', async () => {
    const f = await fixture();
    try {
      // biome-ignore lint/suspicious/noSparseArray: the case under test
      await f.log.append(ctxFor(), { action: 'user.login', metadata: { tags: [, 'x'] } });
      const page = await f.log.query({ tenantId: T1, limit: 10 });
      expect(page.events[0]!.metadata).toEqual({ tags: [null, 'x'] });
      expect((await f.log.verify(T1)).ok).toBe(true);
    } finally {
      await f.cleanup();
    }
  });
});

describe('review: a "__proto__" metadata key', () => {
  it('is recorded (and redacted inside) rather than silently dropped', async () => {
    const f = await fixture();
    try {
      const metadata = JSON.parse('{"__proto__":{"password":"hunter2","note":"kept"},"b":1}');
      await f.log.append(ctxFor(), { action: 'user.login', metadata });
      const [row] = await f.store.audit.readRange(T1, { fromSeq: 1, limit: 1 });
      expect(row!.metadata).toBe('{"__proto__":{"note":"kept","password":"[REDACTED]"},"b":1}');
      expect((await f.log.verify(T1)).ok).toBe(true);
    } finally {
      await f.cleanup();
    }
  });
});
