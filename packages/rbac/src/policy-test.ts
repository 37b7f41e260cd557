import { parseInput, ValidationError } from '@ax/core';
import { subject as tag } from '@casl/ability';
import { z } from 'zod';
import { checkGraph } from './admin-guards.js';
import { compilePolicy, type RoleDefinition } from './compile.js';
import { type Decision, explainPolicy } from './decide.js';
import type { PermissionCatalog } from './permissions.js';
import { roleInputSchema, roleNameSchema, withoutPrototypeKeys } from './rule-schema.js';
import { isSystemRoleName } from './system-roles.js';

const effect = z.enum(['allow', 'deny']);
const key = z.string().min(1).max(100);

/** A policy test file: roles, principals, resources, and the matrix of expected effects. */
export interface PolicyTestSpec {
  name?: string | undefined;
  /** The tenant id `${tenant.id}` stands for (default `tnt_policy_test`). */
  tenant?: string | undefined;
  /** Custom roles under test (system roles are always there). */
  roles?: unknown[] | undefined;
  principals: Record<
    string,
    {
      id?: string | undefined;
      roles: string[];
      superAdmin?: boolean | undefined;
      status?: 'active' | 'suspended' | undefined;
    }
  >;
  resources: Record<string, { kind: string; attributes?: Record<string, unknown> | undefined }>;
  tests: {
    name: string;
    principals: string[];
    resources: string[];
    actions: string[];
    /** Listed effects; every other principal × resource × action of the test is expected to be denied. */
    expected?:
      | {
          principal: string;
          resource: string;
          actions: Record<string, 'allow' | 'deny'>;
        }[]
      | undefined;
  }[];
}

/** Schema of {@link PolicyTestSpec} (roles are checked separately against the catalog). */
export const policyTestSpecSchema: z.ZodType<PolicyTestSpec> = withoutPrototypeKeys(
  z
    .object({
      name: z.string().max(200).optional(),
      tenant: z.string().min(1).max(200).optional(),
      roles: z.array(z.unknown()).max(1000).optional(),
      principals: z.record(
        key,
        z
          .object({
            id: z.string().min(1).max(200).optional(),
            roles: z.array(roleNameSchema).max(100),
            superAdmin: z.boolean().optional(),
            status: z.enum(['active', 'suspended']).optional(),
          })
          .strict(),
      ),
      resources: z.record(
        key,
        z
          .object({
            kind: z.string().min(1).max(64),
            attributes: z.record(z.string(), z.unknown()).optional(),
          })
          .strict(),
      ),
      tests: z
        .array(
          z
            .object({
              name: z.string().min(1).max(200),
              principals: z.array(key).min(1),
              resources: z.array(key).min(1),
              actions: z.array(z.string().min(1).max(64)).min(1),
              expected: z
                .array(
                  z
                    .object({
                      principal: key,
                      resource: key,
                      actions: z.record(z.string(), effect),
                    })
                    .strict(),
                )
                .optional(),
            })
            .strict(),
        )
        .min(1),
    })
    .strict(),
);

/** One cell of the matrix. */
export interface PolicyTestCase {
  test: string;
  principal: string;
  resource: string;
  action: string;
  expected: 'allow' | 'deny';
  actual: 'allow' | 'deny';
  ok: boolean;
  decision: Decision;
}

/** What {@link runPolicyTests} returns. */
export interface PolicyTestReport {
  name: string | null;
  passed: number;
  failed: number;
  cases: PolicyTestCase[];
}

/**
 * Runs a policy test file (already parsed from YAML or JSON) against the roles it defines and the system
 * roles, with the same compiler and explain as the Rbac service. Pure: no storage.
 */
export function runPolicyTests(input: unknown, catalog: PermissionCatalog<string>): PolicyTestReport {
  const spec = parseInput(policyTestSpecSchema, input, 'policy test file');
  const tenantId = spec.tenant ?? 'tnt_policy_test';
  const roles = new Map<string, RoleDefinition>();
  (spec.roles ?? []).forEach((raw, i) => {
    let role: RoleDefinition;
    try {
      const parsed = parseInput(roleInputSchema(catalog), raw, `roles[${i}]`);
      role = {
        name: parsed.name,
        permissions: parsed.permissions ?? [],
        rules: parsed.rules ?? [],
        extends: parsed.extends ?? [],
      };
    } catch (err) {
      if (err instanceof ValidationError) {
        throw new ValidationError(
          `roles[${i}]: ${err.message}`,
          err.issues.map((x) => ({ ...x, path: ['roles', i, ...x.path] })),
        );
      }
      throw err;
    }
    if (isSystemRoleName(role.name)) throw new ValidationError(`roles[${i}]: ${role.name} is a system role`);
    if (roles.has(role.name)) throw new ValidationError(`roles[${i}]: duplicate role ${role.name}`);
    roles.set(role.name, role);
  });
  for (const role of roles.values()) {
    const others = new Map(roles);
    others.delete(role.name);
    checkGraph(role, others);
  }
  const policies = new Map(
    Object.entries(spec.principals).map(([name, p]) => [
      name,
      compilePolicy(
        {
          tenantId,
          userId: p.id ?? name,
          state: p.status === 'suspended' ? 'user-suspended' : 'active',
          superAdmin: p.superAdmin ?? false,
          assigned: p.roles,
          customRoles: roles,
        },
        catalog,
      ),
    ]),
  );
  for (const [name, resource] of Object.entries(spec.resources)) {
    if (!catalog.isSubject(resource.kind)) {
      throw new ValidationError(`resource ${name}: unknown kind ${JSON.stringify(resource.kind)}`);
    }
  }
  const cases: PolicyTestCase[] = [];
  for (const test of spec.tests) {
    checkMatrix(test, spec, catalog);
    const expected = new Map<string, 'allow' | 'deny'>();
    for (const e of test.expected ?? []) {
      for (const [action, eff] of Object.entries(e.actions))
        expected.set(`${e.principal}\0${e.resource}\0${action}`, eff);
    }
    for (const principal of test.principals) {
      const policy = policies.get(principal);
      if (!policy) throw new ValidationError(`test "${test.name}": unknown principal ${principal}`);
      for (const resourceName of test.resources) {
        const resource = spec.resources[resourceName];
        if (!resource) throw new ValidationError(`test "${test.name}": unknown resource ${resourceName}`);
        for (const action of test.actions) {
          const subject = resource.attributes
            ? tag(resource.kind, { ...resource.attributes })
            : resource.kind;
          const decision = explainPolicy(policy, action, subject);
          const want = expected.get(`${principal}\0${resourceName}\0${action}`) ?? 'deny';
          const actual = decision.allowed ? 'allow' : 'deny';
          cases.push({
            test: test.name,
            principal,
            resource: resourceName,
            action,
            expected: want,
            actual,
            ok: want === actual,
            decision,
          });
        }
      }
    }
  }
  const failed = cases.filter((c) => !c.ok).length;
  return {
    name: spec.name ?? null,
    passed: cases.length - failed,
    failed,
    cases,
  };
}

// An expectation no cell checks, or an action the catalog does not know (every cell "deny"), would make a
// test that cannot fail: refuse the file instead.
function checkMatrix(
  test: PolicyTestSpec['tests'][number],
  spec: PolicyTestSpec,
  catalog: PermissionCatalog<string>,
): void {
  const where = `test "${test.name}"`;
  for (const name of test.resources) {
    const resource = spec.resources[name];
    if (!resource) continue; // reported as an unknown resource when the matrix runs
    for (const action of test.actions) {
      if (!catalog.isAction(action, resource.kind)) {
        throw new ValidationError(`${where}: unknown action ${JSON.stringify(action)} on ${resource.kind}`);
      }
    }
  }
  for (const e of test.expected ?? []) {
    if (!test.principals.includes(e.principal)) {
      throw new ValidationError(`${where}: expectation for ${e.principal}, which the test does not list`);
    }
    if (!test.resources.includes(e.resource)) {
      throw new ValidationError(`${where}: expectation for ${e.resource}, which the test does not list`);
    }
    for (const action of Object.keys(e.actions)) {
      if (!test.actions.includes(action)) {
        throw new ValidationError(`${where}: expectation for action ${action}, which the test does not list`);
      }
    }
  }
}
