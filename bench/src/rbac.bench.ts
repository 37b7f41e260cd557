import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StoredRule } from '@ax/core';
import { createRbac, definePermissions, subject } from '@ax/rbac';
import { openSqliteStore, type SqliteStore } from '@ax/store-sqlite';
import { createMongoAbility } from '@casl/ability';
import { newEnforcer, newModelFromString, StringAdapter } from 'casbin';
import type { BenchCase } from './harness.js';

// Casbin's published benchmark scenarios (casbin/casbin model_b_test.go, the table on casbin.org), re-run on
// the same data: the same users, roles, resources and the same query, in node-casbin and in @ax/rbac.

const RBAC_MODEL = `
[request_definition]
r = sub, obj, act
[policy_definition]
p = sub, obj, act
[role_definition]
g = _, _
[policy_effect]
e = some(where (p.eft == allow))
[matchers]
m = g(r.sub, p.sub) && r.obj == p.obj && r.act == p.act
`;

const DOMAIN_MODEL = `
[request_definition]
r = sub, dom, obj, act
[policy_definition]
p = sub, dom, obj, act
[role_definition]
g = _, _, _
[policy_effect]
e = some(where (p.eft == allow))
[matchers]
m = g(r.sub, p.sub, r.dom) && r.dom == p.dom && r.obj == p.obj && r.act == p.act
`;

interface TenantData {
  roles: Map<string, StoredRule[]>;
  assignments: [user: string, role: string][];
}

interface Scenario {
  id: string;
  rules: number;
  model: string;
  policy: string[];
  tenants: TenantData[];
  /** Casbin's query. */
  casbin: string[];
  /** The same query for us: tenant index, user, action, resource id. */
  ours: { tenant: number; user: string; action: string; object: string };
}

const readData = (object: string, action = 'read'): StoredRule => ({
  action,
  subject: 'Data',
  conditions: { id: object },
});

function basic(): Scenario {
  // examples/rbac_policy.csv: alice reads data1, bob writes data2, data2_admin reads and writes data2.
  return {
    id: 'rbac-5',
    rules: 5,
    model: RBAC_MODEL,
    policy: [
      'p, alice, data1, read',
      'p, bob, data2, write',
      'p, data2_admin, data2, read',
      'p, data2_admin, data2, write',
      'g, alice, data2_admin',
    ],
    tenants: [
      {
        // direct grants become one personal role each
        roles: new Map([
          ['alice-direct', [readData('data1')]],
          ['bob-direct', [readData('data2', 'write')]],
          ['data2_admin', [readData('data2'), readData('data2', 'write')]],
        ]),
        assignments: [
          ['alice', 'alice-direct'],
          ['alice', 'data2_admin'],
          ['bob', 'bob-direct'],
        ],
      },
    ],
    casbin: ['alice', 'data2', 'read'],
    ours: { tenant: 0, user: 'alice', action: 'read', object: 'data2' },
  };
}

// BenchmarkRBACModelSmall / Medium / Large: `roles` groups, group i reads data(i/10); `roles*10` users,
// user i is in group(i/10). The query asks for a resource the user's group does not have (a denial).
function sized(roles: number, query: [string, string]): Scenario {
  const users = roles * 10;
  const policy: string[] = [];
  const tenant: TenantData = { roles: new Map(), assignments: [] };
  for (let i = 0; i < roles; i++) {
    policy.push(`p, group${i}, data${Math.floor(i / 10)}, read`);
    tenant.roles.set(`group${i}`, [readData(`data${Math.floor(i / 10)}`)]);
  }
  for (let i = 0; i < users; i++) {
    policy.push(`g, user${i}, group${Math.floor(i / 10)}`);
    tenant.assignments.push([`user${i}`, `group${Math.floor(i / 10)}`]);
  }
  return {
    id: `rbac-${roles + users}`,
    rules: roles + users,
    model: RBAC_MODEL,
    policy,
    tenants: [tenant],
    casbin: [query[0], query[1], 'read'],
    ours: { tenant: 0, user: query[0], action: 'read', object: query[1] },
  };
}

function domains(): Scenario {
  // examples/rbac_with_domains_policy.csv: admin of domain1 and of domain2; alice in domain1, bob in domain2.
  const admin = (object: string) => [readData(object), readData(object, 'write')];
  return {
    id: 'rbac-domains',
    rules: 6,
    model: DOMAIN_MODEL,
    policy: [
      'p, admin, domain1, data1, read',
      'p, admin, domain1, data1, write',
      'p, admin, domain2, data2, read',
      'p, admin, domain2, data2, write',
      'g, alice, admin, domain1',
      'g, bob, admin, domain2',
    ],
    tenants: [
      { roles: new Map([['domain-admin', admin('data1')]]), assignments: [['alice', 'domain-admin']] },
      { roles: new Map([['domain-admin', admin('data2')]]), assignments: [['bob', 'domain-admin']] },
    ],
    casbin: ['alice', 'domain1', 'data1', 'read'],
    ours: { tenant: 0, user: 'alice', action: 'read', object: 'data1' },
  };
}

const catalog = definePermissions({ data: ['read', 'write'] });

/** Checks per iteration in the batched cases. */
const BATCH = 1_000;

async function seed(store: SqliteStore, s: Scenario): Promise<string[]> {
  const tenantIds = s.tenants.map((_, i) => `tnt_bench_${s.id}_${i}`);
  await store.transaction(async (tx) => {
    const users = new Set(s.tenants.flatMap((t) => t.assignments.map(([u]) => u)));
    for (const id of users) {
      await tx.users.insert({ id, email: `${id}@bench.test`, status: 'active', createdAt: 1, updatedAt: 1 });
    }
    for (const [i, t] of s.tenants.entries()) {
      const tenantId = tenantIds[i]!;
      await tx.tenants.insert({
        id: tenantId,
        slug: `bench-${i}`,
        name: s.id,
        plan: 'bench',
        status: 'active',
        statusReason: null,
        billingAnchorDay: null,
        createdAt: 1,
        updatedAt: 1,
      });
      for (const [name, rules] of t.roles) {
        await tx.rbac.insertRole({
          id: `rol_${tenantId}_${name}`,
          tenantId,
          name,
          description: null,
          permissions: [],
          rules,
          extends: [],
          createdAt: 1,
          updatedAt: 1,
        });
      }
      for (const [userId, role] of t.assignments) {
        await tx.rbac.assign({ tenantId, userId, role, grantedBy: 'bench', createdAt: 1 });
      }
    }
  });
  return tenantIds;
}

async function scenarioCases(
  s: Scenario,
  dir: string,
): Promise<{ cases: BenchCase[]; close(): Promise<void> }> {
  const store = await openSqliteStore(join(dir, `${s.id}.db`));
  const tenantIds = await seed(store, s);
  const rbac = createRbac({ store, catalog });
  const ctx = { tenantId: tenantIds[s.ours.tenant]!, actor: { type: 'user' as const, id: s.ours.user } };
  const object = subject('Data', { id: s.ours.object });

  // raw CASL: an ability built from exactly the rules the user's roles hold
  const tenant = s.tenants[s.ours.tenant]!;
  const rawRules = tenant.assignments
    .filter(([u]) => u === s.ours.user)
    .flatMap(([, r]) => tenant.roles.get(r)!);
  const casl = createMongoAbility(rawRules as never);

  const enforcer = await newEnforcer(newModelFromString(s.model), new StringAdapter(s.policy.join('\n')));

  const ours = await rbac.can(ctx, s.ours.action, object);
  const perms = await rbac.permissions(ctx);
  const answers = [
    ours,
    perms.can(s.ours.action, object),
    casl.can(s.ours.action, object),
    enforcer.enforceSync(...s.casbin),
  ];
  if (new Set(answers).size !== 1) throw new Error(`${s.id}: contenders disagree: ${answers.join(', ')}`);

  // cold: drop the cache and load the next user's permission set from SQLite
  const users = tenant.assignments.map(([u]) => u);
  let k = 0;
  const coldCtx = () => ({
    tenantId: ctx.tenantId,
    actor: { type: 'user' as const, id: users[k++ % users.length]! },
  });
  const name = `${s.id} (${s.rules.toLocaleString('en-US')} rules)`;
  const cases: BenchCase[] = [
    {
      id: `rbac/${s.id}/can-vs-casl`,
      ours: {
        name: `${name} rbac.can (async, epoch-checked)`,
        fn: () => rbac.can(ctx, s.ours.action, object),
      },
      peer: { name: 'CASL ability.can', fn: () => casl.can(s.ours.action, object) },
      target: { minRatio: 0.8 },
    },
    {
      // tinybench awaits every call of an async task and times each one: its own per-iteration async overhead
      // lands on our side only. Batches of checks amortise it: the cost of one awaited check, as a caller pays.
      id: `rbac/${s.id}/can-vs-casl-batched`,
      ours: {
        name: `${name} ${BATCH} x await rbac.can`,
        fn: async () => {
          let n = 0;
          for (let i = 0; i < BATCH; i++) if (await rbac.can(ctx, s.ours.action, object)) n++;
          return n;
        },
      },
      peer: {
        name: `${BATCH} x CASL ability.can (sync)`,
        fn: () => {
          let n = 0;
          for (let i = 0; i < BATCH; i++) if (casl.can(s.ours.action, object)) n++;
          return n;
        },
      },
      target: { minRatio: 0.8 },
    },
    {
      // the same batches with CASL's answer awaited too: the await alone, without any of our code
      id: `rbac/${s.id}/can-vs-casl-batched-awaited`,
      ours: {
        name: `${name} ${BATCH} x await rbac.can`,
        fn: async () => {
          let n = 0;
          for (let i = 0; i < BATCH; i++) if (await rbac.can(ctx, s.ours.action, object)) n++;
          return n;
        },
      },
      peer: {
        name: `${BATCH} x await CASL ability.can`,
        fn: async () => {
          let n = 0;
          for (let i = 0; i < BATCH; i++) if (await casl.can(s.ours.action, object)) n++;
          return n;
        },
      },
      target: { minRatio: 0.8 },
    },
    {
      id: `rbac/${s.id}/permission-set-vs-casl`,
      ours: { name: `${name} permissions(ctx).can (sync)`, fn: () => perms.can(s.ours.action, object) },
      peer: { name: 'CASL ability.can', fn: () => casl.can(s.ours.action, object) },
      target: { minRatio: 0.8 },
    },
    {
      id: `rbac/${s.id}/can-vs-casbin`,
      ours: {
        name: `${name} rbac.can (async, epoch-checked)`,
        fn: () => rbac.can(ctx, s.ours.action, object),
      },
      peer: { name: 'node-casbin enforce (async)', fn: () => enforcer.enforce(...s.casbin) },
      target: { minRatio: 10 },
    },
    {
      id: `rbac/${s.id}/permission-set-vs-casbin-sync`,
      ours: { name: `${name} permissions(ctx).can (sync)`, fn: () => perms.can(s.ours.action, object) },
      peer: { name: 'node-casbin enforceSync', fn: () => enforcer.enforceSync(...s.casbin) },
      target: { minRatio: 10 },
    },
    {
      id: `rbac/${s.id}/cold-check`,
      ours: {
        name: `${name} cold rbac.can (load from SQLite)`,
        fn: () => {
          rbac.invalidate();
          return rbac.can(coldCtx(), s.ours.action, object);
        },
      },
      peer: {
        name: 'CASL createMongoAbility(rules).can',
        fn: () => createMongoAbility(rawRules as never).can(s.ours.action, object),
      },
    },
  ];
  return { cases, close: () => store.close() };
}

/** RBAC: Casbin's published scenarios against node-casbin and raw CASL, plus a cold load from SQLite. */
export async function rbacCases(): Promise<{ cases: BenchCase[]; cleanup(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'ax-bench-rbac-'));
  const scenarios = [
    basic(),
    sized(100, ['user501', 'data9']),
    sized(1000, ['user5001', 'data150']),
    sized(10000, ['user50001', 'data1500']),
    domains(),
  ];
  const built: { cases: BenchCase[]; close(): Promise<void> }[] = [];
  for (const s of scenarios) built.push(await scenarioCases(s, dir));
  return {
    cases: built.flatMap((b) => b.cases),
    async cleanup() {
      for (const b of built) await b.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
