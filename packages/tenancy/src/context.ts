import {
  type Actor,
  type ExecutionContext,
  executionContextSchema,
  parseInput,
  tenantIdSchema,
} from '@ax/core';

// Frozen contexts (createContext's) already validated: their fields cannot change, so once is enough.
const checked = new WeakSet<object>();

function validContext(ctx: ExecutionContext, what: string): ExecutionContext {
  if (typeof ctx === 'object' && ctx !== null && checked.has(ctx)) return ctx;
  const parsed = parseInput(executionContextSchema, ctx, `${what}: execution context`);
  if (Object.isFrozen(ctx) && Object.isFrozen(ctx.actor)) checked.add(ctx);
  return parsed;
}

/** Who acts, from a validated context (its tenant need not be a real one: creating a tenant). */
export function actorOf(ctx: ExecutionContext, what: string): Actor {
  return validContext(ctx, what).actor;
}

/** The tenant a context acts in (a `tnt_…` id) and who acts, validated. */
export function tenantOf(ctx: ExecutionContext, what: string): { tenantId: string; actor: Actor } {
  const c = validContext(ctx, what);
  return { tenantId: parseInput(tenantIdSchema, c.tenantId, `${what}: ctx.tenantId`), actor: c.actor };
}
