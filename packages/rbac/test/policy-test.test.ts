import { describe, expect, it } from 'vitest';
import { PermissionCatalog, runPolicyTests } from '../src/index.js';

const catalog = PermissionCatalog.builtin();

const spec = {
  name: 'workflows',
  roles: [
    {
      name: 'editor',
      extends: ['viewer'],
      permissions: ['workflow.write'],
      rules: [
        { action: 'delete', subject: 'Workflow', conditions: { ownerId: '${user.id}' } },
        {
          action: 'write',
          subject: 'Workflow',
          conditions: { locked: true },
          inverted: true,
          reason: 'locked',
        },
      ],
    },
  ],
  principals: {
    alice: { roles: ['editor'] },
    bob: { roles: ['viewer'] },
    carol: { roles: ['editor'], status: 'suspended' },
  },
  resources: {
    mine: { kind: 'Workflow', attributes: { ownerId: 'alice', locked: false } },
    locked: { kind: 'Workflow', attributes: { ownerId: 'bob', locked: true } },
  },
  tests: [
    {
      name: 'editors',
      principals: ['alice', 'bob', 'carol'],
      resources: ['mine', 'locked'],
      actions: ['read', 'write', 'delete'],
      expected: [
        { principal: 'alice', resource: 'mine', actions: { read: 'allow', write: 'allow', delete: 'allow' } },
        { principal: 'alice', resource: 'locked', actions: { read: 'allow', write: 'deny' } },
        { principal: 'bob', resource: 'mine', actions: { read: 'allow' } },
        { principal: 'bob', resource: 'locked', actions: { read: 'allow' } },
      ],
    },
  ],
};

describe('policy tests', () => {
  it('passes a correct matrix; unlisted cells are expected to be denied', () => {
    const report = runPolicyTests(spec, catalog);
    expect(report.failed).toBe(0);
    expect(report.passed).toBe(18);
    const locked = report.cases.find(
      (c) => c.principal === 'alice' && c.resource === 'locked' && c.action === 'write',
    );
    expect(locked?.decision).toMatchObject({ allowed: false, role: 'editor', reason: 'locked' });
    expect(report.cases.find((c) => c.principal === 'carol')?.decision.reason).toBe('the user is suspended');
  });

  it('reports each mismatch with its explanation', () => {
    const wrong = structuredClone(spec);
    wrong.tests[0]!.expected[1]!.actions.write = 'allow';
    wrong.tests[0]!.expected.push({
      principal: 'bob',
      resource: 'mine',
      actions: { delete: 'allow' },
    } as never);
    const report = runPolicyTests(wrong, catalog);
    expect(report.failed).toBe(2);
    const bad = report.cases.filter((c) => !c.ok);
    expect(bad.map((c) => `${c.principal}/${c.resource}/${c.action}: ${c.decision.reason}`)).toEqual([
      'alice/locked/write: locked',
      'bob/mine/delete: no rule of roles viewer allows delete on Workflow',
    ]);
  });

  it('refuses expectations that no cell checks, and unknown kinds or actions (they could never fail)', () => {
    const bad: unknown[] = [];
    const tweak = (fn: (s: typeof spec) => void) => {
      const copy = structuredClone(spec);
      fn(copy);
      bad.push(copy);
    };
    // an expectation for a principal, resource or action outside the test's matrix
    tweak((s) =>
      s.tests[0]!.expected.push({ principal: 'dave', resource: 'mine', actions: { read: 'allow' } }),
    );
    tweak((s) => {
      s.tests[0]!.principals = ['bob', 'carol'];
    });
    tweak((s) =>
      s.tests[0]!.expected.push({ principal: 'bob', resource: 'gone', actions: { read: 'allow' } }),
    );
    tweak((s) =>
      s.tests[0]!.expected.push({
        principal: 'bob',
        resource: 'mine',
        actions: { execute: 'allow' } as never,
      }),
    );
    // a typo in a kind or an action: every cell would be "deny" and pass
    tweak((s) => {
      s.resources.mine.kind = 'Workflw';
    });
    tweak((s) => {
      s.tests[0]!.actions = ['read', 'raed'];
      s.tests[0]!.expected = [];
    });
    for (const input of bad) {
      expect(() => runPolicyTests(input, catalog), JSON.stringify(input).slice(0, 120)).toThrow(
        expect.objectContaining({ code: 'VALIDATION' }),
      );
    }
  });

  it('validates the file: unknown principals, bad roles, cycles, prototype keys', () => {
    const bad = [
      { ...spec, tests: [{ ...spec.tests[0], principals: ['mallory'] }] },
      { ...spec, roles: [{ name: 'x1', permissions: ['workflow.fly'] }] },
      { ...spec, roles: [{ name: 'admin', permissions: ['workflow.read'] }] },
      {
        ...spec,
        roles: [
          { name: 'r1', extends: ['r2'] },
          { name: 'r2', extends: ['r1'] },
        ],
      },
      JSON.parse('{"principals":{"__proto__":{"roles":[]}},"resources":{},"tests":[]}'),
    ];
    for (const input of bad)
      expect(() => runPolicyTests(input, catalog), JSON.stringify(input).slice(0, 80)).toThrow();
  });
});
