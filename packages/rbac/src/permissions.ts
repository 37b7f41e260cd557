import { ValidationError } from '@ax/core';

/** Resources and their actions: `{ workflow: ['read', 'write'] }` gives `workflow.read` and `workflow.write`. */
export type ResourceActions = Readonly<Record<string, readonly string[]>>;

/** The permission strings a resource map defines: `resource.action` for each pair. */
export type PermissionsOf<R extends ResourceActions> = {
  [K in keyof R & string]: `${K}.${R[K][number]}`;
}[keyof R & string];

/** The resources and actions @ax ships. */
export const BUILTIN_RESOURCES = {
  workflow: ['read', 'write', 'execute', 'delete'],
  agent: ['read', 'write', 'delete'],
  user: ['read', 'write', 'delete'],
  role: ['read', 'write', 'assign'],
  tenant: ['read', 'write', 'suspend'],
  secret: ['read', 'write', 'delete'],
  quota: ['read', 'write'],
  admin: ['manage'],
  audit: ['read', 'export', 'verify'],
  backup: ['create', 'restore', 'verify'],
} as const satisfies ResourceActions;

/** A built-in permission: `workflow.read` … `backup.verify`, or the wildcard `*`. */
export type BuiltinPermission = PermissionsOf<typeof BUILTIN_RESOURCES> | '*';

/** CASL's action and subject for "everything". */
export const MANAGE = 'manage';
export const ALL = 'all';

const NAME = /^[a-z][a-zA-Z0-9]{0,39}$/;

/** `workflow` becomes the CASL subject `Workflow`; `apiKey` becomes `ApiKey`. */
export function subjectOf(resource: string): string {
  return resource.charAt(0).toUpperCase() + resource.slice(1);
}

/** The CASL action and subject a permission maps to. */
export interface PermissionRule {
  action: string;
  subject: string;
}

/**
 * The set of permissions an application knows: the built-in ones plus those it registers with
 * {@link PermissionCatalog.extend}. `P` is the union of permission strings, so typos fail to compile.
 * Permissions map to CASL rules: `workflow.read` is action `read` on subject `Workflow`, `resource.*` is
 * `manage` on that subject, and `*` is `manage all`.
 */
export class PermissionCatalog<P extends string = BuiltinPermission> {
  readonly #actions: ReadonlyMap<string, ReadonlySet<string>>;
  readonly #subjects: ReadonlyMap<string, string>;
  readonly #allActions: ReadonlySet<string>;

  private constructor(resources: ReadonlyMap<string, ReadonlySet<string>>) {
    this.#actions = resources;
    this.#subjects = new Map([...resources.keys()].map((r) => [subjectOf(r), r]));
    this.#allActions = new Set([...resources.values()].flatMap((s) => [...s]));
  }

  /** The catalog of built-in permissions. */
  static builtin(): PermissionCatalog<BuiltinPermission> {
    return new PermissionCatalog<BuiltinPermission>(toMap(BUILTIN_RESOURCES, new Map()));
  }

  /** A new catalog with the given resources and actions added (existing resources gain the new actions). */
  extend<R extends ResourceActions>(resources: R): PermissionCatalog<P | PermissionsOf<R>> {
    return new PermissionCatalog<P | PermissionsOf<R>>(toMap(resources, this.#actions));
  }

  /** Every permission in the catalog, `*` first. */
  permissions(): P[] {
    const out = ['*'];
    for (const [resource, actions] of this.#actions) for (const a of actions) out.push(`${resource}.${a}`);
    return out as P[];
  }

  /** True when `permission` is `*`, `resource.*` for a known resource, or a known `resource.action`. */
  has(permission: string): permission is P {
    return this.#parse(permission) !== null;
  }

  /** The CASL rule a permission maps to; throws ValidationError for an unknown permission. */
  toRule(permission: string): PermissionRule {
    const rule = this.#parse(permission);
    if (!rule) {
      throw new ValidationError(`unknown permission ${JSON.stringify(permission)}`, [
        { path: [], message: 'unknown permission', code: 'custom' },
      ]);
    }
    return rule;
  }

  /** True when `subject` is a catalog subject (e.g. `Workflow`) or `all`. */
  isSubject(subject: string): boolean {
    return subject === ALL || this.#subjects.has(subject);
  }

  /** True when `action` may be used on `subject`: `manage` always, else an action the catalog defines for it. */
  isAction(action: string, subject: string): boolean {
    if (action === MANAGE) return true;
    if (subject === ALL) return this.#allActions.has(action);
    const resource = this.#subjects.get(subject);
    return resource !== undefined && (this.#actions.get(resource)?.has(action) ?? false);
  }

  /** The permission string for an action on a subject (`read`, `Workflow` gives `workflow.read`), or null. */
  permissionOf(action: string, subject: string): P | null {
    if (action === MANAGE && subject === ALL) return '*' as P;
    const resource = this.#subjects.get(subject);
    if (resource === undefined) return null;
    const permission = action === MANAGE ? `${resource}.*` : `${resource}.${action}`;
    return this.has(permission) ? permission : null;
  }

  /** Catalog subjects, sorted. */
  subjects(): string[] {
    return [...this.#subjects.keys()].sort();
  }

  #parse(permission: string): PermissionRule | null {
    if (permission === '*') return { action: MANAGE, subject: ALL };
    const dot = permission.indexOf('.');
    if (dot <= 0) return null;
    const resource = permission.slice(0, dot);
    const action = permission.slice(dot + 1);
    const actions = this.#actions.get(resource);
    if (!actions) return null;
    if (action === '*') return { action: MANAGE, subject: subjectOf(resource) };
    return actions.has(action) ? { action, subject: subjectOf(resource) } : null;
  }
}

function toMap(
  resources: ResourceActions,
  base: ReadonlyMap<string, ReadonlySet<string>>,
): Map<string, ReadonlySet<string>> {
  const out = new Map<string, ReadonlySet<string>>(base);
  for (const [resource, actions] of Object.entries(resources)) {
    if (!NAME.test(resource) || resource === ALL) {
      throw new ValidationError(`invalid resource name ${JSON.stringify(resource)}`);
    }
    const set = new Set(out.get(resource) ?? []);
    for (const action of actions) {
      if (!NAME.test(action)) throw new ValidationError(`invalid action name ${JSON.stringify(action)}`);
      set.add(action);
    }
    out.set(resource, set);
  }
  return out;
}

/** The built-in catalog extended with an application's resources, typed. */
export function definePermissions<R extends ResourceActions>(
  resources: R,
): PermissionCatalog<BuiltinPermission | PermissionsOf<R>> {
  return PermissionCatalog.builtin().extend(resources);
}
