import { setImmediate as tick } from 'node:timers/promises';
import { ConflictError, type Tenant, type TenantStore } from '@ax/core';
import { retryableConflict, runTransaction } from '@ax/core/adapter';
import type { TransactionalPorts } from '../src/index.js';

interface Row {
  tenant: Tenant;
  version: number;
}

/**
 * A tenants-only store with optimistic concurrency, the opposite of SQLite's one-writer-at-a-time: transactions
 * run interleaved on private write sets and are validated at commit (every row read must be unchanged), so
 * concurrent read-modify-writes conflict and are retried. The testkit must accept it.
 */
export function optimisticTenantStore(): {
  store: TransactionalPorts<'tenants'>;
  rows: Map<string, Row>;
  stats: { conflicts: number };
} {
  const rows = new Map<string, Row>();
  const stats = { conflicts: 0 };
  const copy = (t: Tenant | undefined) => (t ? { ...t } : null);

  // The ports of one unit of work: reads recorded with their version, writes kept private until commit.
  function unit(isOpen: () => boolean) {
    const reads = new Map<string, number>();
    const writes = new Map<string, Tenant | null>();
    const guard = async () => {
      if (!isOpen()) throw new Error('transaction already finished');
      await tick(); // storage is I/O: other transactions interleave here
    };
    const current = (id: string): Tenant | undefined => {
      if (writes.has(id)) return writes.get(id) ?? undefined;
      // The first read's version is what commit validates (a later read must not launder a change).
      if (!reads.has(id)) reads.set(id, rows.get(id)?.version ?? -1);
      return rows.get(id)?.tenant;
    };
    const visible = (): Tenant[] => {
      const all = new Map([...rows].map(([id, r]) => [id, r.tenant]));
      for (const [id, t] of writes) {
        if (t) all.set(id, t);
        else all.delete(id);
      }
      return [...all.values()];
    };
    const tenants: TenantStore = {
      async insert(t) {
        await guard();
        if (current(t.id) || visible().some((o) => o.slug === t.slug)) {
          throw new ConflictError(`tenant ${t.slug} already exists`);
        }
        writes.set(t.id, { ...t });
      },
      async get(id) {
        await guard();
        return copy(current(id));
      },
      async getBySlug(slug) {
        await guard();
        const found = visible().find((t) => t.slug === slug);
        return found ? copy(current(found.id)) : null;
      },
      async list(page) {
        await guard();
        return visible()
          .filter(
            (t) =>
              (page.afterId === undefined || t.id > page.afterId) &&
              (!page.status || page.status.includes(t.status)),
          )
          .sort((a, b) => (a.id < b.id ? -1 : 1))
          .slice(0, page.limit)
          .map((t) => ({ ...t }));
      },
      async update(id, patch) {
        await guard();
        const before = current(id);
        if (!before) return null;
        const next = { ...before, ...patch };
        writes.set(id, next);
        return { ...next };
      },
      async purge(id) {
        await guard();
        if (!current(id)) return false;
        writes.set(id, null);
        return true;
      },
    };
    // Validation and apply run without an await: atomic with respect to every other unit.
    const commit = () => {
      for (const [id, version] of reads) {
        if ((rows.get(id)?.version ?? -1) !== version) {
          stats.conflicts++;
          throw retryableConflict(`tenant ${id} changed since it was read`);
        }
      }
      for (const [id, t] of writes) {
        if (t === null) rows.delete(id);
        else rows.set(id, { tenant: t, version: (rows.get(id)?.version ?? 0) + 1 });
      }
    };
    return { tenants, commit };
  }

  // Outside a transaction, each call is its own unit of work, committed at once.
  const autocommit = Object.fromEntries(
    (['insert', 'get', 'getBySlug', 'list', 'update', 'purge'] as const).map((m) => [
      m,
      async (...args: never[]) => {
        const u = unit(() => true);
        const out = await (u.tenants[m] as (...a: never[]) => Promise<unknown>)(...args);
        u.commit();
        return out;
      },
    ]),
  ) as unknown as TenantStore;

  const store: TransactionalPorts<'tenants'> = {
    tenants: autocommit,
    transaction: (fn, options) =>
      runTransaction(
        {
          async attempt(body) {
            let open = true;
            const u = unit(() => open);
            const tx = { tenants: u.tenants };
            try {
              const out = await body(tx);
              u.commit();
              return out;
            } finally {
              open = false;
            }
          },
        },
        fn,
        options,
      ),
  };
  return { store, rows, stats };
}
