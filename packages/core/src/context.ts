import { z } from 'zod';
import { parseInput } from './validate.js';

/** Who is acting: a user, an API key, or the system itself (CLI operator, scheduler). */
export const actorSchema = z.object({
  type: z.enum(['user', 'apiKey', 'system']),
  id: z.string().min(1).max(200),
});

/** Who is acting. */
export type Actor = z.infer<typeof actorSchema>;

/** Schema for {@link ExecutionContext}. */
export const executionContextSchema = z.object({
  tenantId: z.string().min(1).max(200),
  actor: actorSchema,
  ip: z.string().max(100).optional(),
  requestId: z.string().max(200).optional(),
  userAgent: z.string().max(1000).optional(),
});

/** Everything a domain call needs to know about who asks, for which tenant, from where. */
export type ExecutionContext = z.infer<typeof executionContextSchema>;

/** The system actor: used for the CLI operator and background jobs, and recorded as such. */
export const SYSTEM_ACTOR: Actor = Object.freeze({
  type: 'system',
  id: 'system',
});

/** Validates and freezes a context. */
export function createContext(input: ExecutionContext): Readonly<ExecutionContext> {
  const ctx = parseInput(executionContextSchema, input, 'execution context');
  return Object.freeze({ ...ctx, actor: Object.freeze(ctx.actor) });
}
