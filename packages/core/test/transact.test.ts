import { describe, expect, it } from 'vitest';
import { afterCommitOrNow, onCommit, openCommitScope, transactWithCommitHooks } from '../src/index.js';

// A store whose transaction runs fn once (or twice, to model a retry) and opens no commit scope itself.
function fakeStore(opts: { fail?: boolean; attempts?: number } = {}) {
  return {
    async transaction<T>(fn: (tx: object) => Promise<T>): Promise<T> {
      let result: T | undefined;
      for (let i = 0; i < (opts.attempts ?? 1); i++) result = await fn({});
      if (opts.fail) throw new Error('commit failed');
      return result as T;
    },
  };
}

describe('transactWithCommitHooks', () => {
  it('runs after-commit callbacks once the transaction committed, only those of the last attempt', async () => {
    const ran: string[] = [];
    let attempt = 0;
    const out = await transactWithCommitHooks(fakeStore({ attempts: 2 }), async (tx) => {
      const n = ++attempt;
      onCommit(tx, () => ran.push(`attempt ${n}`));
      expect(ran).toEqual([]);
      return 42;
    });
    expect(out).toBe(42);
    expect(ran).toEqual(['attempt 2']);
  });

  it('never runs them when the transaction rejects', async () => {
    const ran: string[] = [];
    await expect(
      transactWithCommitHooks(fakeStore({ fail: true }), async (tx) => {
        onCommit(tx, () => ran.push('x'));
      }),
    ).rejects.toThrow('commit failed');
    expect(ran).toEqual([]);
  });

  it("leaves an adapter's own scope alone; afterCommitOrNow defers only where a scope exists", async () => {
    const tx = {};
    const scope = openCommitScope(tx);
    const ran: string[] = [];
    afterCommitOrNow(tx, () => ran.push('deferred'));
    afterCommitOrNow({}, () => ran.push('now'));
    expect(ran).toEqual(['now']);
    scope.committed(() => undefined);
    expect(ran).toEqual(['now', 'deferred']);
  });
});
