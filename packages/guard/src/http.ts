import { AxError, type ExecutionContext } from '@ax/core';
import type { Guard, GuardedRun } from './guard.js';
import type { GuardPorts } from './ports.js';
import type { GuardSpec } from './spec.js';

/** A spec, or a function of the request that builds one (an idempotency key from a header, the object). */
export type RequestGuardSpec<Req> = GuardSpec | ((request: Req) => GuardSpec | Promise<GuardSpec>);

/** What both framework adapters are given. */
export interface HttpGuardOptions<Req, P extends GuardPorts = GuardPorts> {
  guard: Guard<P>;
  /** The caller's context, from its credential (never from the body). Throw UnauthorizedError when none. */
  context: (request: Req) => ExecutionContext | Promise<ExecutionContext>;
}

/** Starts a guarded run for a request: the app's context, the route's spec, then `guard.begin`. */
export async function beginFor<Req, P extends GuardPorts>(
  opts: HttpGuardOptions<Req, P>,
  spec: RequestGuardSpec<Req>,
  request: Req,
): Promise<GuardedRun> {
  const ctx = await opts.context(request);
  const s = typeof spec === 'function' ? await spec(request) : spec;
  return opts.guard.begin(ctx, s);
}

/**
 * Ends a run by how the response went: an error seen by the framework, or a status of 400 and above, is a
 * failure; an answer below 400 completes it. A response that never finished (the client went away) fails.
 */
export function endFor(run: GuardedRun, status: number, error: unknown, finished: boolean): Promise<void> {
  if (error !== undefined) return run.fail(error);
  if (!finished) return run.fail(new AxError('INTERNAL', 499, 'the client closed the connection first'));
  if (status >= 400) return run.fail(new AxError('INTERNAL', status, `the handler answered ${status}`));
  return run.complete();
}
