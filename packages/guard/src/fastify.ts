import { AxError } from '@ax/core';
import type {
  ContextConfigDefault,
  FastifyBaseLogger,
  FastifyInstance,
  FastifyPluginCallback,
  FastifyReply,
  FastifyRequest,
  FastifySchema,
  FastifyTypeProvider,
  FastifyTypeProviderDefault,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerBase,
  RawServerDefault,
  RouteGenericInterface,
} from 'fastify';
import type { GuardedRun } from './guard.js';
import { beginFor, endFor, type HttpGuardOptions, type RequestGuardSpec } from './http.js';
import type { GuardPorts } from './ports.js';
import { problemOf } from './problem.js';

export { type ProblemResponse, problemOf } from './problem.js';
export type { RequestGuardSpec } from './http.js';

/** The spec of a guarded Fastify route: a spec, or a function of the request. */
export type FastifyGuardSpec = RequestGuardSpec<FastifyRequest>;

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Guards the route with `@ax/guard/fastify`. */
    ax?: FastifyGuardSpec;
  }
  // An augmentation repeats the interface's type parameters exactly.
  interface RouteShorthandOptions<
    RawServer extends RawServerBase = RawServerDefault,
    RawRequest extends RawRequestDefaultExpression<RawServer> = RawRequestDefaultExpression<RawServer>,
    RawReply extends RawReplyDefaultExpression<RawServer> = RawReplyDefaultExpression<RawServer>,
    RouteGeneric extends RouteGenericInterface = RouteGenericInterface,
    ContextConfig = ContextConfigDefault,
    SchemaCompiler extends FastifySchema = FastifySchema,
    TypeProvider extends FastifyTypeProvider = FastifyTypeProviderDefault,
    Logger extends FastifyBaseLogger = FastifyBaseLogger,
  > {
    /** Guards the route with `@ax/guard/fastify` (same as `config: { ax }`). */
    ax?: FastifyGuardSpec;
  }
}

/** Options of {@link fastifyGuard}. */
export type FastifyGuardOptions<P extends GuardPorts = GuardPorts> = HttpGuardOptions<FastifyRequest, P>;

interface State {
  run: GuardedRun;
  error: unknown;
  ending: Promise<void> | undefined;
}

const RUNS = new WeakMap<FastifyRequest, State>();

/**
 * The guarded run of a request on a guarded route: its `signal` and `lease`. Throws outside a guarded
 * route.
 */
export function guardedRun(request: FastifyRequest): GuardedRun {
  const state = RUNS.get(request);
  if (!state) throw new AxError('INTERNAL', 500, 'this route is not guarded (no `ax` route option)');
  return state.run;
}

type Hook = (...args: never[]) => unknown;

function addHook(route: Record<string, unknown>, name: string, hook: Hook): void {
  const existing = route[name] as Hook | Hook[] | undefined;
  route[name] =
    existing === undefined ? [hook] : Array.isArray(existing) ? [...existing, hook] : [existing, hook];
}

function end(state: State, reply: FastifyReply, finished: boolean): Promise<void> {
  state.ending ??= endFor(state.run, reply.statusCode, state.error, finished);
  return state.ending;
}

const plugin: FastifyPluginCallback<FastifyGuardOptions> = (app: FastifyInstance, opts, done) => {
  app.addHook('onRoute', (route) => {
    const r = route as unknown as Record<string, unknown> & { config?: { ax?: FastifyGuardSpec } };
    const spec = (r.ax as FastifyGuardSpec | undefined) ?? r.config?.ax;
    if (spec === undefined) return;
    // Steps 1–5 before the handler. A refusal answers here, as problem+json, whatever the app's error handler.
    addHook(r, 'preHandler', async (request: FastifyRequest, reply: FastifyReply) => {
      let run: GuardedRun;
      try {
        run = await beginFor(opts, spec, request);
      } catch (err) {
        const p = problemOf(err);
        return reply.code(p.status).headers(p.headers).send(p.body);
      }
      const state: State = { run, error: undefined, ending: undefined };
      RUNS.set(request, state);
      // The client went away while the run was starting: end it now (failed), and run no handler for nobody.
      if (reply.raw.closed || request.raw.destroyed) {
        await end(state, reply, false).catch(() => undefined);
        return reply.hijack();
      }
      // The client went away before an answer was sent: onSend may never run.
      reply.raw.once('close', () => {
        if (!reply.raw.writableFinished) end(state, reply, false).catch(() => undefined);
      });
    });
    addHook(r, 'onError', async (request: FastifyRequest, _reply: FastifyReply, error: unknown) => {
      const state = RUNS.get(request);
      if (state) state.error = error;
    });
    // Step 7 before the answer leaves: the end is recorded and the slot free once the client has its reply.
    addHook(r, 'onSend', async (request: FastifyRequest, reply: FastifyReply, payload: unknown) => {
      const state = RUNS.get(request);
      if (state) await end(state, reply, true);
      return payload;
    });
  });
  done();
};
// Like fastify-plugin: the onRoute hook must see the routes of the app that registers it, not of a child.
Object.assign(plugin, {
  [Symbol.for('skip-override')]: true,
  [Symbol.for('fastify.display-name')]: 'ax-guard',
});

/**
 * The Fastify plugin: `await app.register(fastifyGuard, { guard, context })`, then routes declared after it
 * with `{ ax: spec }` (or `{ config: { ax: spec } }`) run steps 1–5 in a preHandler and step 7 in onSend
 * (onError records the handler's error). Refusals answer `application/problem+json`.
 */
export const fastifyGuard: FastifyPluginCallback<FastifyGuardOptions> = plugin;
