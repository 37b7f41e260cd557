import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PermissionCatalog, roleInputSchema, subject } from '../src/index.js';
import { type Fixture, fixture } from './helpers.js';

let f: Fixture;
beforeEach(async () => {
  f = await fixture();
});
afterEach(() => f.cleanup());

const schema = roleInputSchema(PermissionCatalog.builtin());
const rule = (r: Record<string, unknown>) => ({ name: 'r1', rules: [r] });

describe('conditions', () => {
  it('placeholders cannot inject operators: a user id of {"$ne": null} stays a string', async () => {
    const t = await f.tenant();
    await f.rbac.createRole(f.as(t.id), {
      name: 'own',
      rules: [
        {
          action: 'read',
          subject: 'Secret',
          conditions: { ownerId: '${user.id}', tenantId: '${tenant.id}' },
        },
      ],
    });
    for (const evil of ['{"$ne": null}', '{"$ne":null}', '${user.id}', '{"$gt": ""}']) {
      const u = await f.user({ id: evil, email: `${Math.abs(hash(evil))}@example.test` });
      await f.rbac.assign(f.as(t.id), { userId: u.id, role: 'own' });
      const ctx = f.as(t.id, u.id);
      expect(
        await f.rbac.can(ctx, 'read', subject('Secret', { ownerId: 'usr_someone_else', tenantId: t.id })),
      ).toBe(false);
      expect(await f.rbac.can(ctx, 'read', subject('Secret', { ownerId: null, tenantId: t.id }))).toBe(false);
      expect(await f.rbac.can(ctx, 'read', subject('Secret', { ownerId: evil, tenantId: t.id }))).toBe(true);
      const filter = await f.rbac.accessibleBy(ctx, 'read', 'Secret');
      expect(filter).toEqual({
        kind: 'conditional',
        where: {
          op: 'and',
          children: [
            { op: 'eq', field: 'ownerId', value: evil },
            { op: 'eq', field: 'tenantId', value: t.id },
          ],
        },
      });
    }
  });

  it('rejects unknown actions, subjects and operators', () => {
    const bad = [
      rule({ action: 'fly', subject: 'Workflow' }),
      rule({ action: 'read', subject: 'Spaceship' }),
      rule({ action: 'read', subject: 'Workflow', conditions: { ownerId: { $regex: '.*' } } }),
      rule({ action: 'read', subject: 'Workflow', conditions: { ownerId: { $where: 'true' } } }),
      rule({ action: 'read', subject: 'Workflow', conditions: { $where: 'true' } }),
      rule({ action: 'read', subject: 'Workflow', conditions: { $or: [{ a: 1 }] } }),
      rule({ action: 'read', subject: 'Workflow', conditions: { $and: [{ a: 1 }] } }),
      rule({ action: 'read', subject: 'Workflow', conditions: { $nor: [{ a: 1 }] } }),
      rule({ action: 'read', subject: 'Workflow', conditions: { a: { $elemMatch: {} } } }),
      rule({ action: 'read', subject: 'Workflow', conditions: { a: { $all: [1] } } }),
      rule({ action: 'read', subject: 'Workflow', conditions: { ownerId: { nested: 'object' } } }),
      rule({ action: 'read', subject: 'Workflow', conditions: { ownerId: '${user.email}' } }),
      rule({ action: 'read', subject: 'Workflow', conditions: { ownerId: 'x-${user.id}' } }),
      rule({ action: 'read', subject: 'Workflow', extra: 1 }),
      { name: 'r1', permissions: ['workflow.fly'] },
      { name: 'r1', permissions: ['spaceship.read'] },
    ];
    for (const input of bad) expect(schema.safeParse(input).success, JSON.stringify(input)).toBe(false);
    expect(
      schema.safeParse(
        rule({
          action: ['read', 'write'],
          subject: 'Workflow',
          conditions: { ownerId: '${user.id}', status: { $in: ['public', null] }, 'meta.size': { $lt: 3 } },
          fields: ['name'],
          inverted: false,
          reason: 'ok',
        }),
      ).success,
    ).toBe(true);
  });

  it('rejects __proto__, constructor and prototype anywhere', () => {
    const cases: unknown[] = [
      JSON.parse('{"name":"r1","__proto__":{"isSystemRole":true}}'),
      JSON.parse(
        '{"name":"r1","rules":[{"action":"read","subject":"Workflow","conditions":{"__proto__":{"x":1}}}]}',
      ),
      JSON.parse(
        '{"name":"r1","rules":[{"action":"read","subject":"Workflow","conditions":{"a":{"__proto__":1}}}]}',
      ),
      rule({ action: 'read', subject: 'Workflow', conditions: { constructor: 'x' } }),
      rule({ action: 'read', subject: 'Workflow', conditions: { 'a.prototype.b': 1 } }),
      rule({ action: 'read', subject: 'Workflow', fields: ['__proto__'] }),
      rule({ action: 'read', subject: 'Workflow', fields: ['meta.constructor'] }),
      { name: 'r1', rules: [{ action: 'read', subject: 'Workflow', conditions: new Map() }] },
    ];
    for (const input of cases) {
      const r = schema.safeParse(input);
      expect(r.success, JSON.stringify(input)).toBe(false);
    }
    const proto = schema.safeParse(JSON.parse('{"name":"r1","__proto__":{}}'));
    expect(proto.error?.issues.some((i) => i.path.includes('__proto__'))).toBe(true);
  });

  it('createRole reports validation with field paths', async () => {
    const t = await f.tenant();
    const err = await f.rbac
      .createRole(
        f.as(t.id),
        rule({ action: 'read', subject: 'Workflow', conditions: { ownerId: { $regex: 'x' } } }) as never,
      )
      .catch((e) => e);
    expect(err.code).toBe('VALIDATION');
    expect(err.issues[0].path).toEqual(['rules', 0, 'conditions', 'ownerId']);
  });
});

function hash(s: string): number {
  let h = 0;
  for (const c of s) h = (h * 31 + c.charCodeAt(0)) | 0;
  return h;
}
