import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ax, tempDir } from './helpers.js';

const tmp = tempDir();
const cwd = tmp.dir;
const run = (args: string[]) => ax(args, { cwd });
const json = (args: string[]) => {
  const r = run([...args, '--json']);
  if (r.code !== 0 && r.code !== 3) throw new Error(`ax ${args.join(' ')}: ${r.code} ${r.stderr}`);
  return JSON.parse(r.stdout);
};

beforeAll(() => {
  expect(run(['init']).code).toBe(0);
  json(['security', 'user', 'create', 'root@example.test', '--tenant', 'default', '--role', 'admin']);
  json(['security', 'user', 'create', 'dev@example.test', '--tenant', 'default', '--role', 'developer']);
  json(['security', 'user', 'create', 'view@example.test', '--tenant', 'default']);
});
afterAll(() => tmp.remove());

describe('ax security', () => {
  it('creates users with a role, lists and shows roles', () => {
    const roles = json(['security', 'role', 'list', '--tenant', 'default']);
    expect(roles.map((r: { name: string }) => r.name)).toEqual(['admin', 'developer', 'viewer', 'auditor']);
    const viewer = json(['security', 'role', 'show', 'viewer', '--tenant', 'default']);
    expect(viewer).toMatchObject({ system: true, permissions: expect.arrayContaining(['workflow.read']) });
    const dup = run(['security', 'user', 'create', 'VIEW@example.test', '--tenant', 'default']);
    expect(dup.code).toBe(1);
    expect(dup.stderr).toMatch(/^error \[CONFLICT\]/);
  });

  it('can: exit 0 when allowed, 3 when denied; --explain shows the deciding rule and the role', () => {
    const yes = run(['security', 'can', 'dev@example.test', 'workflow.write', '--explain']);
    expect(yes.code).toBe(0);
    expect(yes.stdout).toMatch(/^allowed/);
    expect(yes.stdout).toMatch(/role\s+developer/);
    expect(yes.stdout).toMatch(/rule\s+\{"action":"write","subject":"Workflow"\}/);
    const no = run(['security', 'can', 'view@example.test', 'secret.read', '--explain', '--json']);
    expect(no.code).toBe(3);
    const doc = JSON.parse(no.stdout);
    expect(doc).toMatchObject({ allowed: false, permission: 'secret.read', decision: { rule: null } });
    expect(run(['security', 'can', 'view@example.test', 'no.such']).code).toBe(2);
  });

  it('custom roles from --rules with a deny, and revocation takes effect at once', () => {
    const rules = join(cwd, 'rules.json');
    writeFileSync(
      rules,
      JSON.stringify([{ action: 'delete', subject: 'Workflow', inverted: true, reason: 'frozen' }]),
    );
    json([
      'security',
      'role',
      'create',
      'frozen',
      '--tenant',
      'default',
      '--rules',
      rules,
      '--extends',
      'developer',
    ]);
    json(['security', 'user', 'assign', 'dev@example.test', 'frozen', '--tenant', 'default']);
    const denied = run(['security', 'can', 'dev@example.test', 'workflow.delete', '--explain']);
    expect(denied.code).toBe(3);
    expect(denied.stdout).toMatch(/role\s+frozen/);
    expect(denied.stdout).toMatch(/reason\s+frozen/);
    json(['security', 'user', 'revoke', 'dev@example.test', 'frozen', '--tenant', 'default']);
    expect(run(['security', 'can', 'dev@example.test', 'workflow.delete']).code).toBe(0);
    json(['security', 'role', 'delete', 'frozen', '--tenant', 'default']);
    expect(run(['security', 'role', 'show', 'frozen', '--tenant', 'default']).code).toBe(1);
    const bad = run([
      'security',
      'role',
      'create',
      'x1',
      '--tenant',
      'default',
      '--permissions',
      'workflow.fly',
    ]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^error \[VALIDATION\]/);
  });

  it('--as enforces that user’s permissions; without it the system operator acts', () => {
    const asViewer = run([
      '--as',
      'view@example.test',
      'security',
      'role',
      'create',
      'mine',
      '--tenant',
      'default',
      '--permissions',
      'workflow.read',
    ]);
    expect(asViewer.code).toBe(1);
    expect(asViewer.stderr).toMatch(/^error \[FORBIDDEN\]: not allowed: role\.write/);
    // a developer cannot hand out admin, nor grant itself more
    const escalate = run([
      '--as',
      'dev@example.test',
      'security',
      'user',
      'assign',
      'dev@example.test',
      'admin',
      '--tenant',
      'default',
    ]);
    expect(escalate.code).toBe(1);
    expect(escalate.stderr).toMatch(/FORBIDDEN/);
    // the admin can
    const asRoot = run([
      '--as',
      'root@example.test',
      'security',
      'user',
      'assign',
      'view@example.test',
      'auditor',
      '--tenant',
      'default',
    ]);
    expect(asRoot.code).toBe(0);
    expect(
      run(['--as', 'ghost@example.test', 'security', 'role', 'list', '--tenant', 'default']).stderr,
    ).toMatch(/^error \[UNAUTHORIZED\]/);
    // asking about yourself needs no role.read
    expect(
      run(['--as', 'view@example.test', 'security', 'can', 'view@example.test', 'audit.read']).code,
    ).toBe(0);
  });
});

describe('ax policy test', () => {
  const file = (name: string, body: string) => {
    const p = join(cwd, name);
    writeFileSync(p, body);
    return p;
  };
  const spec = (expectDelete: 'allow' | 'deny') => `
name: editors
roles:
  - name: editor
    extends: [viewer]
    permissions: [workflow.write]
    rules:
      - action: delete
        subject: Workflow
        conditions: { ownerId: "\${user.id}" }
principals:
  alice: { roles: [editor] }
  bob: { roles: [viewer] }
resources:
  alices: { kind: Workflow, attributes: { ownerId: alice } }
tests:
  - name: owners delete their own
    principals: [alice, bob]
    resources: [alices]
    actions: [read, write, delete]
    expected:
      - { principal: alice, resource: alices, actions: { read: allow, write: allow, delete: allow } }
      - { principal: bob, resource: alices, actions: { read: allow, delete: ${expectDelete} } }
`;

  it('exits 0 when every cell matches', () => {
    const r = run(['policy', 'test', file('ok.yaml', spec('deny'))]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/ok {2}editors: 6 passed, 0 failed/);
  });

  it('exits 3 on a mismatch and shows the explanation', () => {
    const r = run(['policy', 'test', file('bad.yaml', spec('allow'))]);
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/FAIL {2}owners delete their own: bob delete alices: expected allow, got deny/);
    expect(r.stdout).toMatch(/no rule of roles viewer allows delete on Workflow/);
    const j = run(['policy', 'test', file('bad2.yaml', spec('allow')), '--json']);
    expect(JSON.parse(j.stdout).failed).toBe(1);
  });

  it('refuses a malformed file with a usage error', () => {
    expect(run(['policy', 'test', file('broken.yaml', 'roles: [')]).code).toBe(2);
    expect(
      run(['policy', 'test', file('unknown.yaml', 'principals: {}\nresources: {}\ntests: []\nextra: 1')])
        .code,
    ).toBe(2);
  });
});

describe('ax security can: conditional grants and what-if records', () => {
  it('without --resource a conditional grant prints its conditions and exits 3; --resource decides', () => {
    const rules = join(cwd, 'own-rules.json');
    writeFileSync(
      rules,
      // biome-ignore lint/suspicious/noTemplateCurlyInString: rbac's placeholder, not a template
      JSON.stringify([{ action: 'write', subject: 'Workflow', conditions: { ownerId: '${user.id}' } }]),
    );
    json(['security', 'role', 'create', 'author', '--tenant', 'default', '--rules', rules]);
    const author = json([
      'security',
      'user',
      'create',
      'author@example.test',
      '--tenant',
      'default',
      '--role',
      'author',
    ]);
    const open = run(['security', 'can', 'author@example.test', 'workflow.write']);
    expect(open.code).toBe(3);
    expect(open.stdout).toMatch(/^conditional/);
    expect(open.stdout).toContain(`"field":"ownerId"`);
    expect(open.stdout).toContain(author.id);
    const doc = JSON.parse(
      run(['security', 'can', 'author@example.test', 'workflow.write', '--json']).stdout,
    );
    expect(doc).toMatchObject({
      allowed: false,
      outcome: 'conditional',
      conditions: { op: 'eq', field: 'ownerId', value: author.id },
    });
    const own = run([
      'security',
      'can',
      'author@example.test',
      'workflow.write',
      '--resource',
      JSON.stringify({ ownerId: author.id }),
    ]);
    expect(own.code).toBe(0);
    expect(own.stdout).toMatch(/^allowed/);
    const other = run([
      'security',
      'can',
      'author@example.test',
      'workflow.write',
      '--resource',
      '{"ownerId":"usr_someone_else"}',
    ]);
    expect(other.code).toBe(3);
    expect(run(['security', 'can', 'author@example.test', 'workflow.write', '--resource', '[1]']).code).toBe(
      2,
    );
  });

  it("a what-if is recorded with the asking actor, never as the user's policy.denied", () => {
    const viewer = json(['security', 'user', 'create', 'whatif@example.test', '--tenant', 'default']);
    expect(run(['security', 'can', 'whatif@example.test', 'secret.delete']).code).toBe(3);
    const events = json(['audit', 'query', '--tenant', 'default', '--limit', '1000']).events as {
      action: string;
      actor: { type: string; id: string } | string;
      actorId?: string;
      metadata: Record<string, unknown>;
    }[];
    const actorIdOf = (e: (typeof events)[number]) =>
      typeof e.actor === 'object' ? e.actor.id : (e.actorId ?? e.actor);
    expect(events.some((e) => e.action === 'policy.denied' && actorIdOf(e) === viewer.id)).toBe(false);
    const asked = events.find(
      (e) =>
        e.action === 'policy.decision' &&
        (e.metadata.principal as { id?: string } | undefined)?.id === viewer.id,
    );
    expect(asked).toBeDefined();
    expect(actorIdOf(asked!)).toBe('system');
    expect(asked!.metadata).toMatchObject({ whatIf: true, decision: 'denied' });
  });
});

describe('a suspended tenant', () => {
  it('answers TENANT_SUSPENDED with the reason, never FORBIDDEN', () => {
    json(['tenant', 'create', 'Frozen Co', '--slug', 'frozen']);
    json(['security', 'user', 'create', 'boss@frozen.test', '--tenant', 'frozen', '--role', 'admin']);
    json(['tenant', 'suspend', 'frozen', '--reason', 'unpaid invoices']);
    const r = run(['security', 'role', 'list', '--tenant', 'frozen', '--as', 'boss@frozen.test']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error \[TENANT_SUSPENDED\]: .*unpaid invoices/);
    const can = run(['security', 'can', 'boss@frozen.test', 'workflow.read', '--tenant', 'frozen']);
    expect(can.stderr).toMatch(/^error \[TENANT_SUSPENDED\]/);
  });
});
