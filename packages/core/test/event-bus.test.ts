import { describe, expect, it, vi } from 'vitest';
import { EventBus, onCommit, openCommitScope } from '../src/index.js';

type Events = { 'thing.changed': { id: string } };

describe('EventBus', () => {
  it('awaits in-transaction listeners with the tx, and a rejection reaches the emitter', async () => {
    const bus = new EventBus<Events, { name: string }>();
    const seen: string[] = [];
    bus.inTransaction('thing.changed', async (e, { tx }) => {
      seen.push(`${tx.name}:${e.id}`);
    });
    const tx = { name: 'tx1' };
    const scope = openCommitScope(tx);
    await bus.emit('thing.changed', { id: 'a' }, tx);
    scope.committed(() => undefined);
    expect(seen).toEqual(['tx1:a']);
    bus.inTransaction('thing.changed', () => Promise.reject(new Error('audit down')));
    await expect(bus.emit('thing.changed', { id: 'b' }, { name: 'tx2' })).rejects.toThrow('audit down');
  });

  it('refuses an in-transaction listener outside a transaction (a programming error)', async () => {
    const bus = new EventBus<Events, object>();
    bus.inTransaction('thing.changed', () => undefined);
    await expect(bus.emit('thing.changed', { id: 'a' }, undefined)).rejects.toThrow(/outside a transaction/);
  });

  it('runs after-commit listeners only once the transaction commits, never after a rollback', async () => {
    const bus = new EventBus<Events, object>();
    const after = vi.fn();
    bus.afterCommit('thing.changed', after);
    const committedTx = {};
    const s1 = openCommitScope(committedTx);
    await bus.emit('thing.changed', { id: 'a' }, committedTx);
    expect(after).not.toHaveBeenCalled();
    s1.committed(() => undefined);
    expect(after).toHaveBeenCalledWith({ id: 'a' });

    const rolledBack = {};
    const s2 = openCommitScope(rolledBack);
    await bus.emit('thing.changed', { id: 'b' }, rolledBack);
    s2.discard();
    expect(after).toHaveBeenCalledTimes(1);
    expect(() => onCommit(rolledBack, () => undefined)).toThrow(/not an open transaction/);
  });

  it('sends after-commit errors and rejections to onError, never to the emitter', async () => {
    const onError = vi.fn();
    const bus = new EventBus<Events, object>({ onError });
    bus.afterCommit('thing.changed', () => {
      throw new Error('sync');
    });
    bus.afterCommit('thing.changed', () => Promise.reject(new Error('async')));
    await bus.emit('thing.changed', { id: 'a' }, undefined);
    await new Promise((r) => setTimeout(r, 0));
    expect(onError.mock.calls.map((c) => (c[0] as Error).message).sort()).toEqual(['async', 'sync']);
    expect(onError.mock.calls[0]![1]).toBe('thing.changed');
  });

  it('has() is false with no listener and unsubscribe removes one', () => {
    const bus = new EventBus<Events>();
    expect(bus.has('thing.changed')).toBe(false);
    const off = bus.afterCommit('thing.changed', () => undefined);
    expect(bus.has('thing.changed')).toBe(true);
    expect(bus.hasInTransaction('thing.changed')).toBe(false);
    off();
    expect(bus.has('thing.changed')).toBe(false);
  });
});
