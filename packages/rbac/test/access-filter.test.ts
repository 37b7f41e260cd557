import { subject } from '@casl/ability';
import BetterSqlite3 from 'better-sqlite3';
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  type AccessFilter,
  accessFilterOf,
  createAxAbility,
  PermissionCatalog,
  ruleSchema,
  toSql,
} from '../src/index.js';
import { type Fixture, fixture } from './helpers.js';

describe('accessibleBy', () => {
  let f: Fixture;
  beforeEach(async () => {
    f = await fixture();
  });
  afterEach(() => f.cleanup());

  it('has three outcomes; "none" is a filter that matches nothing, never {}', async () => {
    const t = await f.tenant();
    await f.rbac.createRole(f.as(t.id), {
      name: 'own',
      rules: [
        { action: 'write', subject: 'Workflow', conditions: { ownerId: '${user.id}' } },
        { action: 'write', subject: 'Workflow', conditions: { status: 'archived' }, inverted: true },
      ],
    });
    const viewer = await f.member(t.id, ['viewer', 'own']);
    const ctx = f.as(t.id, viewer.id);
    expect(await f.rbac.accessibleBy(ctx, 'read', 'Workflow')).toEqual({
      kind: 'all',
      where: { op: 'true' },
    });
    const none = await f.rbac.accessibleBy(ctx, 'delete', 'Workflow');
    expect(none).toEqual({ kind: 'none', where: { op: 'false' } });
    expect(Object.keys(none.where)).not.toHaveLength(0);
    expect(toSql(none, { columns: {} })).toEqual({ sql: '1 = 0', params: [] });
    const own = await f.rbac.accessibleBy(ctx, 'write', 'Workflow');
    expect(own.kind).toBe('conditional');
    const sql = toSql(own, { columns: { ownerId: 'owner_id', status: 'status' } });
    expect(sql.params).toEqual([viewer.id, 'archived']);
    expect(sql.sql).not.toContain(viewer.id);
    // a stranger in another tenant: nothing
    const stranger = await f.member((await f.tenant()).id, ['admin']);
    expect((await f.rbac.accessibleBy(f.as(t.id, stranger.id), 'read', 'Workflow')).kind).toBe('none');
  });

  it('validates its input (a ValidationError, not a TypeError from CASL)', async () => {
    const t = await f.tenant();
    const ctx = f.as(t.id, (await f.member(t.id, ['viewer'])).id);
    for (const [action, type] of [
      ['read', null],
      ['read', 42],
      [undefined, 'Workflow'],
      ['read', ''],
    ]) {
      await expect(f.rbac.accessibleBy(ctx, action as never, type as never)).rejects.toMatchObject({
        code: 'VALIDATION',
      });
    }
    await expect(f.rbac.permittedFields(ctx, 'read', 'Agent', 'name' as never)).rejects.toMatchObject({
      code: 'VALIDATION',
    });
  });

  it('refuses fields outside the column whitelist and odd column names', () => {
    const filter: AccessFilter = { kind: 'conditional', where: { op: 'eq', field: 'secret', value: 1 } };
    expect(() => toSql(filter, { columns: { other: 'other' } })).toThrow(/whitelist/);
    expect(() => toSql(filter, { columns: { secret: 'x; DROP TABLE t' } })).toThrow(/column/);
    expect(() => toSql(filter, { columns: Object.create({ secret: 'secret' }) })).toThrow(/whitelist/);
  });

  it('renders postgres placeholders', () => {
    const filter: AccessFilter = {
      kind: 'conditional',
      where: {
        op: 'or',
        children: [
          { op: 'ne', field: 'a', value: 1 },
          { op: 'in', field: 'b', values: ['x', null] },
        ],
      },
    };
    expect(toSql(filter, { columns: { a: 'a', b: 'b' }, dialect: 'postgres' })).toEqual({
      sql: '((a IS DISTINCT FROM $1) OR ((b IS NOT NULL AND b IN ($2)) OR b IS NULL))',
      params: [1, 'x'],
    });
  });
});

// The SQL rendering selects exactly the rows CASL's in-memory matcher allows, for random rules and rows.
describe('SQL rendering against SQLite (property)', () => {
  const db = new BetterSqlite3(':memory:');
  const schema = ruleSchema(PermissionCatalog.builtin());
  beforeAll(() => {
    db.exec('CREATE TABLE docs (id INTEGER PRIMARY KEY, owner TEXT, status TEXT, size INTEGER)');
  });
  afterAll(() => db.close());

  const owner = fc.constantFrom('u1', 'u2', 'u3', '{"$ne": null}', null);
  const status = fc.constantFrom('draft', 'live', 'archived', null);
  const size = fc.oneof(fc.integer({ min: -3, max: 3 }), fc.constant(null));
  const leaf = fc.oneof(
    owner.map((v) => ({ owner: v })),
    status.map((v) => ({ status: { $ne: v } })),
    fc.array(status, { maxLength: 3 }).map((v) => ({ status: { $in: v } })),
    fc.array(owner, { maxLength: 3 }).map((v) => ({ owner: { $nin: v } })),
    fc
      .tuple(fc.constantFrom('$lt', '$lte', '$gt', '$gte'), fc.integer({ min: -3, max: 3 }))
      .map(([op, v]) => ({ size: { [op]: v } })),
    fc
      .tuple(fc.constantFrom('$lt', '$gte'), fc.constantFrom('draft', 'live'))
      .map(([op, v]) => ({ status: { [op]: v } })),
    fc.boolean().map((v) => ({ size: { $exists: v } })),
    size.map((v) => ({ size: { $eq: v } })),
  );
  const condition = fc.oneof(
    { weight: 3, arbitrary: leaf },
    { weight: 1, arbitrary: fc.tuple(leaf, leaf, leaf).map(([a, b, c]) => ({ ...a, ...b, ...c })) },
  );
  const rule = fc.record({
    action: fc.constant('read'),
    subject: fc.constant('Workflow'),
    conditions: fc.option(condition, { nil: undefined }),
    inverted: fc.boolean(),
  });
  const rows = fc.array(fc.record({ owner, status, size }), { maxLength: 12 });

  it('matches CASL row for row', () => {
    fc.assert(
      fc.property(fc.array(rule, { maxLength: 6 }), rows, (rawRules, data) => {
        const rules = rawRules.map((r) => {
          const clean = Object.fromEntries(Object.entries(r).filter(([, v]) => v !== undefined));
          return schema.parse(clean);
        });
        const ability = createAxAbility(rules as never);
        const filter = accessFilterOf(ability, 'read', 'Workflow');
        if (filter.kind === 'none') expect(filter.where).toEqual({ op: 'false' });
        db.exec('DELETE FROM docs');
        const insert = db.prepare('INSERT INTO docs (id, owner, status, size) VALUES (?, ?, ?, ?)');
        for (const [i, d] of data.entries()) insert.run(i, d.owner, d.status, d.size);
        const { sql, params } = toSql(filter, {
          columns: { owner: 'owner', status: 'status', size: 'size' },
        });
        const got = (
          db.prepare(`SELECT id FROM docs WHERE ${sql} ORDER BY id`).all(...params) as { id: number }[]
        ).map((r) => r.id);
        const want = data.flatMap((d, i) => (ability.can('read', subject('Workflow', { ...d })) ? [i] : []));
        expect(got).toEqual(want);
      }),
      { numRuns: 1500 },
    );
  }, 60_000); // 1,500 runs: about 2 s alone, over 8 s in a loaded full run
});
