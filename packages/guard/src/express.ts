import { AxError } from '@ax/core';
import type { ErrorRequestHandler, Request, RequestHandler, Response } from 'express';
import type { GuardedRun } from './guard.js';
import { beginFor, endFor, type HttpGuardOptions, type RequestGuardSpec } from './http.js';
import type { GuardPorts } from './ports.js';
import { problemOf } from './problem.js';

export { type ProblemResponse, problemOf } from './problem.js';
export type { RequestGuardSpec } from './http.js';

/** The spec of a guarded Express route: a spec, or a function of the request. */
export type ExpressGuardSpec = RequestGuardSpec<Request>;

/** Options of {@link expressGuard}. */
export type ExpressGuardOptions<P extends GuardPorts = GuardPorts> = HttpGuardOptions<Request, P>;

interface State {
  run: GuardedRun;
  error: unknown;
}

const RUNS = new WeakMap<Response, State>();

/** The guarded run of a response on a guarded route: its `signal` and `lease`. Throws elsewhere. */
export function guardedRun(res: Response): GuardedRun {
  const state = RUNS.get(res);
  if (!state) throw new AxError('INTERNAL', 500, 'this route is not guarded (no guard middleware)');
  return state.run;
}

function send(res: Response, err: unknown): void {
  const p = problemOf(err);
  res.status(p.status).set(p.headers).send(JSON.stringify(p.body));
}

/**
 * Builds the guard middleware factory: `const ax = expressGuard({ guard, context })`, then
 * `app.post('/run', ax(spec), handler)`. The middleware runs steps 1–5 (a refusal answers
 * `application/problem+json`); step 7 runs when the response closes: below 400 completes, otherwise (or when
 * {@link problemHandler} saw an error, or the client went away, even before the run had started) fails. Express has no hook before the answer
 * leaves, so the end is recorded just after it; `guard.drain()` waits for it.
 */
export function expressGuard<P extends GuardPorts>(
  opts: ExpressGuardOptions<P>,
): (spec: ExpressGuardSpec) => RequestHandler {
  return (spec) => async (req, res, next) => {
    let run: GuardedRun;
    try {
      run = await beginFor(opts, spec, req);
    } catch (err) {
      send(res, err);
      return;
    }
    const state: State = { run, error: undefined };
    // The answer has left: a `completed` event that cannot be appended is reported to the guard's onError.
    const end = () => {
      endFor(run, res.statusCode, state.error, res.writableFinished).catch(() => undefined);
    };
    if (res.closed) {
      // The client went away while the run was starting: 'close' will not fire again, so the run ends (failed)
      // now, and no handler runs for a client that is gone.
      end();
      return;
    }
    RUNS.set(res, state);
    res.once('close', end);
    next();
  };
}

/**
 * Error middleware (register it last): answers an error as `application/problem+json` and marks the guarded
 * run of the request, if any, as failed with that error.
 */
export function problemHandler(): ErrorRequestHandler {
  return (err, _req, res, next) => {
    const state = RUNS.get(res);
    if (state) state.error = err;
    if (res.headersSent) {
      next(err);
      return;
    }
    send(res, err);
  };
}
