import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  createContext,
  createIdGenerator,
  ID_PREFIXES,
  idSchema,
  isId,
  ManualClock,
  ValidationError,
} from '../src/index.js';

describe('ids', () => {
  it('are prefixed per kind', () => {
    const ids = createIdGenerator();
    for (const kind of ['tenant', 'user', 'role', 'secret', 'audit', 'backup'] as const) {
      const id = ids.next(kind);
      expect(id.startsWith(`${ID_PREFIXES[kind]}_`)).toBe(true);
      expect(isId(kind, id)).toBe(true);
    }
    expect(ids.next('tenant')).toMatch(/^tnt_/);
    expect(isId('user', ids.next('tenant'))).toBe(false);
  });

  it('sort by the injected clock, and strictly increase within one millisecond', () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const ids = createIdGenerator(clock);
    const seen: string[] = [];
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 5000 }), { maxLength: 50 }), (steps) => {
        for (const s of steps) {
          clock.advance(s);
          seen.push(ids.next('audit'));
        }
      }),
    );
    expect([...seen].sort()).toEqual(seen);
    expect(new Set(seen).size).toBe(seen.length);
  });

  it('idSchema rejects look-alikes', () => {
    expect(idSchema('tenant').safeParse(`tnt_${'I'.repeat(26)}`).success).toBe(false);
    expect(idSchema('tenant').safeParse("tnt_' OR 1=1 --").success).toBe(false);
  });
});

describe('ManualClock', () => {
  it('only moves forward', () => {
    const c = new ManualClock(1000);
    c.advance(5);
    expect(c.now()).toBe(1005);
    expect(() => c.advance(-1)).toThrow(RangeError);
    expect(() => c.set(10)).toThrow(RangeError);
  });
});

describe('ExecutionContext', () => {
  it('validates and freezes', () => {
    const ctx = createContext({
      tenantId: 'tnt_1',
      actor: { type: 'user', id: 'usr_1' },
      ip: '127.0.0.1',
    });
    expect(Object.isFrozen(ctx)).toBe(true);
    expect(Object.isFrozen(ctx.actor)).toBe(true);
    expect(() =>
      createContext({
        tenantId: 'tnt_1',
        actor: { type: 'robot' as 'user', id: 'x' },
      }),
    ).toThrow(ValidationError);
  });
});
