import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ax, tempDir } from './helpers.js';

const tmp = tempDir();
const cwd = tmp.dir;
const run = (args: string[]) => ax(args, { cwd });
// Text with one byte (0xff) that is not UTF-8: decoded leniently it would become U+FFFD and parse.
// A valid policy test file once its name is completed.
const SPEC_REST =
  '\nprincipals:\n  bob: { roles: [viewer] }\nresources:\n  w: { kind: Workflow }\ntests:\n  - name: reads\n' +
  '    principals: [bob]\n    resources: [w]\n    actions: [read]\n' +
  '    expected:\n      - { principal: bob, resource: w, actions: { read: allow } }\n';
const withBadByte = (name: string, before: string, after: string) => {
  const p = join(cwd, name);
  writeFileSync(p, Buffer.concat([Buffer.from(before), Buffer.from([0xff]), Buffer.from(after)]));
  return p;
};

beforeAll(() => {
  expect(run(['init']).code).toBe(0);
});
afterAll(() => tmp.remove());

describe('files that are not UTF-8', () => {
  it('a --rules file is a VALIDATION error (exit 2), and no role is created', () => {
    const rules = withBadByte('rules.json', '[{"action":"read","subject":"Workflow","reason":"caf', '"}]');
    const r = run(['security', 'role', 'create', 'reader', '--tenant', 'default', '--rules', rules]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error \[VALIDATION\]: --rules .*rules\.json: not valid UTF-8/);
    expect(run(['security', 'role', 'show', 'reader', '--tenant', 'default']).code).toBe(1);
  });

  it('a policy YAML file is a VALIDATION error (exit 2)', () => {
    const spec = withBadByte('policy.yaml', 'name: caf', SPEC_REST);
    const r = run(['policy', 'test', spec]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error \[VALIDATION\]: .*policy\.yaml: not valid UTF-8/);
  });

  it('the same files in UTF-8 are accepted', () => {
    const rules = join(cwd, 'ok.json');
    writeFileSync(rules, '[{"action":"read","subject":"Workflow","reason":"café"}]');
    expect(run(['security', 'role', 'create', 'reader', '--tenant', 'default', '--rules', rules]).code).toBe(
      0,
    );
    const spec = join(cwd, 'ok.yaml');
    writeFileSync(spec, `name: café${SPEC_REST}`);
    const ok = run(['policy', 'test', spec]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/ok {2}café: 1 passed/);
  });
});
