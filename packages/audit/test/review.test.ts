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
