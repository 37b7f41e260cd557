import { ValidationError } from '@ax/core';
import { rulesToAST } from '@casl/ability/extra';
import type { AxAbility } from './compile.js';

/** A value a condition compares with. */
export type Scalar = string | number | boolean | null;

/** A node of a storage-neutral condition tree. */
export type ConditionNode =
  | { op: 'true' }
  | { op: 'false' }
  | { op: 'and' | 'or'; children: ConditionNode[] }
  | { op: 'not'; child: ConditionNode }
  | {
      op: 'eq' | 'ne' | 'lt' | 'lte' | 'gt' | 'gte';
      field: string;
      value: Scalar;
    }
  | { op: 'in' | 'nin'; field: string; values: Scalar[] }
  | { op: 'exists'; field: string; value: boolean };

/**
 * What `accessibleBy` returns: the rows of one subject type a principal may act on.
 * - `all`: no condition applies; every row.
 * - `none`: nothing; `where` is a condition that matches nothing (never an empty object).
 * - `conditional`: the rows matching `where`.
 */
export type AccessFilter =
  | { kind: 'all'; where: { op: 'true' } }
  | { kind: 'none'; where: { op: 'false' } }
  | { kind: 'conditional'; where: ConditionNode };

const DENY: AccessFilter = Object.freeze({
  kind: 'none',
  where: Object.freeze({ op: 'false' }),
}) as AccessFilter;
const ALLOW: AccessFilter = Object.freeze({
  kind: 'all',
  where: Object.freeze({ op: 'true' }),
}) as AccessFilter;

interface AstNode {
  operator: string;
  field?: string;
  value: unknown;
}

const COMPARE = new Set(['eq', 'ne', 'lt', 'lte', 'gt', 'gte']);

function convert(node: AstNode): ConditionNode {
  const op = node.operator;
  if (op === 'and' || op === 'or') {
    const children = (node.value as AstNode[]).map(convert);
    if (children.length === 0) return { op: op === 'and' ? 'true' : 'false' };
    return children.length === 1 ? children[0]! : { op, children };
  }
  if (op === 'not') return { op: 'not', child: convert((node.value as AstNode[])[0]!) };
  if (op === 'nor')
    return {
      op: 'not',
      child: { op: 'or', children: (node.value as AstNode[]).map(convert) },
    };
  const field = node.field!;
  if (COMPARE.has(op)) return { op: op as 'eq', field, value: node.value as Scalar };
  if (op === 'in' || op === 'nin') return { op, field, values: [...(node.value as Scalar[])] };
  if (op === 'exists') return { op, field, value: Boolean(node.value) };
  // Rules are validated on the way in, so this only happens with rules built outside @ax/rbac.
  throw new ValidationError(`operator ${op} has no storage filter`);
}

/** Turns a CASL ability's rules for one action and subject type into an {@link AccessFilter}. */
export function accessFilterOf(ability: AxAbility, action: string, subjectType: string): AccessFilter {
  const ast = rulesToAST(ability, action, subjectType) as AstNode | null;
  if (ast === null) return DENY;
  const where = convert(ast);
  if (where.op === 'true') return ALLOW;
  if (where.op === 'false') return DENY;
  return { kind: 'conditional', where };
}

/** Options of {@link toSql}. */
export interface SqlRenderOptions {
  /** Condition field to column, e.g. `{ ownerId: 'owner_id' }`. Fields not listed are refused. */
  columns: Readonly<Record<string, string>>;
  /** Placeholder and null-safe comparison syntax (default `sqlite`). */
  dialect?: 'sqlite' | 'postgres';
}

/** A parameterized SQL condition, to put after `WHERE`. */
export interface SqlCondition {
  sql: string;
  params: (string | number | boolean | null)[];
}

const RANGE = { lt: '<', lte: '<=', gt: '>', gte: '>=' } as const;

const COLUMN = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$/;

/**
 * Renders a filter as one parameterized SQL condition. Values only ever travel as parameters; column names
 * come only from `columns`. Every fragment is two-valued (never SQL NULL), so `NOT` means what it says, and
 * the rows it selects are exactly those the in-memory check allows, with NULL standing for null: range
 * operators compare only values of the same type and never NULL; `$exists` is about the key, which a column
 * always has. Keep a column's values of one type, as the value you compare it with (SQLite's column affinity
 * may otherwise coerce on equality).
 */
export function toSql(filter: AccessFilter, options: SqlRenderOptions): SqlCondition {
  const dialect = options.dialect ?? 'sqlite';
  const params: SqlCondition['params'] = [];
  const param = (v: Scalar): string => {
    params.push(dialect === 'sqlite' && typeof v === 'boolean' ? (v ? 1 : 0) : v);
    return dialect === 'postgres' ? `$${params.length}` : '?';
  };
  const column = (field: string): string => {
    if (!Object.hasOwn(options.columns, field)) {
      throw new ValidationError(`field ${JSON.stringify(field)} has no column in the whitelist`);
    }
    const col = options.columns[field]!;
    if (!COLUMN.test(col)) throw new ValidationError(`invalid column name ${JSON.stringify(col)}`);
    return col;
  };
  // Only values of the same type compare (NULL never does), as in the in-memory matcher.
  const typeGuard = (c: string, v: Scalar): string => {
    if (dialect === 'postgres' || v === null) return `${c} IS NOT NULL`;
    return typeof v === 'number' ? `typeof(${c}) IN ('integer', 'real')` : `typeof(${c}) = 'text'`;
  };
  const isNot = dialect === 'postgres' ? 'IS DISTINCT FROM' : 'IS NOT';
  const is = dialect === 'postgres' ? 'IS NOT DISTINCT FROM' : 'IS';

  const render = (n: ConditionNode): string => {
    switch (n.op) {
      case 'true':
        return '1 = 1';
      case 'false':
        return '1 = 0';
      case 'and':
      case 'or':
        return `(${n.children.map(render).join(n.op === 'and' ? ' AND ' : ' OR ')})`;
      case 'not':
        return `NOT ${render(n.child)}`;
      case 'eq':
        return n.value === null
          ? `(${column(n.field)} IS NULL)`
          : `(${column(n.field)} ${is} ${param(n.value)})`;
      case 'ne':
        return n.value === null
          ? `(${column(n.field)} IS NOT NULL)`
          : `(${column(n.field)} ${isNot} ${param(n.value)})`;
      case 'lt':
      case 'lte':
      case 'gt':
      case 'gte': {
        const c = column(n.field);
        return `(${typeGuard(c, n.value)} AND ${c} ${RANGE[n.op]} ${param(n.value)})`;
      }
      case 'in':
      case 'nin': {
        const c = column(n.field);
        const values = n.values.filter((v) => v !== null);
        const parts: string[] = [];
        if (values.length > 0) parts.push(`(${c} IS NOT NULL AND ${c} IN (${values.map(param).join(', ')}))`);
        if (values.length < n.values.length) parts.push(`${c} IS NULL`);
        const inSql = parts.length === 0 ? '1 = 0' : `(${parts.join(' OR ')})`;
        return n.op === 'in' ? inSql : `NOT ${inSql}`;
      }
      case 'exists':
        column(n.field);
        return n.value ? '1 = 1' : '1 = 0';
    }
  };
  return { sql: render(filter.where), params };
}
