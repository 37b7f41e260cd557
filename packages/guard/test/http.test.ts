import type { AddressInfo } from 'node:net';
import { AxError } from '@ax/core';
import express from 'express';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { expressGuard, guardedRun as expressRun, problemHandler } from '../src/express.js';
import { guardedRun as fastifyRun, fastifyGuard } from '../src/fastify.js';
import type { GuardSpec } from '../src/index.js';
import { ACTION, type Harness, harness } from './helpers.js';

const N = 200;
const LIMIT = 50; // concurrentExecutions on the enterprise plan

let h: Harness;
let close: (() => Promise<void>) | undefined;
afterEach(async () => {
  await close?.();
  close = undefined;
  await h?.cleanup();
});

const spec: GuardSpec = { permission: ACTION, concurrency: { ttlMs: 60_000 } };

/** Work that holds its slot until every request has been admitted or refused. */
function barrier() {
  let admitted = 0;
  let refused = 0;
  let open!: () => void;
  const gate = new Promise<void>((r) => {
    open = r;
  });
  const check = () => {
    if (admitted + refused === N) open();
  };
  return {
    get admitted() {
      return admitted;
    },
    async work() {
      admitted++;
      check();
      await gate;
      return { ok: true };
    },
    refusedOne() {
      refused++;
      check();
    },
  };
}

async function storm(url: string, b: ReturnType<typeof barrier>) {
  const answers = await Promise.all(
    Array.from({ length: N }, async () => {
      const res = await fetch(url, { method: 'POST' });
      const body = (await res.json()) as { code?: string };
      if (res.status === 429) b.refusedOne();
      return {
        status: res.status,
        type: res.headers.get('content-type'),
        retry: res.headers.get('retry-after'),
        body,
      };
    }),
  );
  return answers;
}

// Exactly LIMIT runs admitted and completed, the rest refused as 429 QUOTA_EXCEEDED; no slot left held.
async function expectExactlyLimit(answers: Awaited<ReturnType<typeof storm>>, b: ReturnType<typeof barrier>) {
  expect(b.admitted).toBe(LIMIT);
  expect(answers.filter((a) => a.status === 200)).toHaveLength(LIMIT);
  const refused = answers.filter((a) => a.status !== 200);
  expect(refused).toHaveLength(N - LIMIT);
  for (const a of refused) {
    expect(a.status).toBe(429);
    expect(a.type).toMatch(/^application\/problem\+json/);
    expect(a.body.code).toBe('QUOTA_EXCEEDED');
    expect(Number(a.retry)).toBeGreaterThan(0);
  }
  await h.guard.drain();
  expect(h.leaseRows()).toBe(0);
  expect(countEvents()).toEqual({
    [`${ACTION}.started`]: LIMIT,
    [`${ACTION}.completed`]: LIMIT,
    [`${ACTION}.denied`]: N - LIMIT,
  });
}

/** A handler that waits for its run's signal; the client gives up once it is inside. */
async function goneAway(url: string, signalOf: () => Promise<AbortSignal>) {
  const ac = new AbortController();
  const answer = fetch(url, { method: 'POST', signal: ac.signal }).catch((e: unknown) => e);
  const signal = await signalOf();
  ac.abort();
  await answer;
  await h.guard.drain();
  expect(signal.aborted).toBe(true);
  expect(h.leaseRows()).toBe(0);
  expect(h.events().map((e) => e.action)).toEqual([`${ACTION}.started`, `${ACTION}.failed`]);
}

function inside() {
  let entered!: (s: AbortSignal) => void;
  const signal = new Promise<AbortSignal>((r) => {
    entered = r;
  });
  return { signal: () => signal, entered };
}

function countEvents(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const e of h.events()) out[e.action] = (out[e.action] ?? 0) + 1;
  return out;
}

describe('@ax/guard/fastify on 127.0.0.1', () => {
  async function serve(routes: (app: FastifyInstance) => void) {
    // The aborted request's socket would hold close() for seconds (Fastify's, not the guard's: seen without it).
    const app = Fastify({ forceCloseConnections: true });
    await app.register(fastifyGuard, {
      guard: h.guard,
      context: (req) => (req.headers['x-as'] === 'viewer' ? h.viewer : h.dev),
    });
    routes(app);
    await app.listen({ host: '127.0.0.1', port: 0 });
    close = () => app.close();
    return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  }

  it(`${N} concurrent requests on a concurrency limit of ${LIMIT}: exactly ${LIMIT} succeed, the rest 429 QUOTA_EXCEEDED`, async () => {
    h = await harness({ plan: 'enterprise' });
    const b = barrier();
    const base = await serve((app) => {
      app.post('/run', { ax: spec }, async (req) => {
        expect(fastifyRun(req).lease).not.toBeNull();
        return b.work();
      });
    });
    const answers = await storm(`${base}/run`, b);
    await expectExactlyLimit(answers, b);
  });

  it('config: { ax } works too; a refusal is problem+json 403; a handler error ends the run as failed', async () => {
    h = await harness();
    const base = await serve((app) => {
      app.post('/cfg', { config: { ax: spec } }, async () => ({ ok: true }));
      app.post('/boom', { ax: spec }, async () => {
        throw new Error('handler failed');
      });
      app.get('/open', async () => ({ open: true }));
    });
    expect((await fetch(`${base}/cfg`, { method: 'POST' })).status).toBe(200);
    const denied = await fetch(`${base}/cfg`, { method: 'POST', headers: { 'x-as': 'viewer' } });
    expect(denied.status).toBe(403);
    expect(denied.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(((await denied.json()) as { code: string }).code).toBe('FORBIDDEN');
    expect((await fetch(`${base}/boom`, { method: 'POST' })).status).toBe(500);
    expect((await fetch(`${base}/open`)).status).toBe(200);
    await h.guard.drain();
    expect(h.events().map((e) => e.action)).toEqual([
      `${ACTION}.started`,
      `${ACTION}.completed`,
      `${ACTION}.denied`,
      `${ACTION}.started`,
      `${ACTION}.failed`,
    ]);
    expect(h.leaseRows()).toBe(0);
  });

  it('a spec built from the request: an Idempotency-Key header makes a retry consume once', async () => {
    h = await harness();
    const base = await serve((app) => {
      app.post(
        '/keyed',
        {
          ax: (req) => ({
            permission: ACTION,
            quotas: [{ quota: 'executionsThisMonth', amount: 5 }],
            idempotencyKey: req.headers['idempotency-key'] as string | undefined,
          }),
        },
        async () => ({ ok: true }),
      );
    });
    const post = (key: string) =>
      fetch(`${base}/keyed`, { method: 'POST', headers: { 'idempotency-key': key } });
    expect((await post('order-1')).status).toBe(200);
    expect((await post('order-1')).status).toBe(200);
    expect((await post('order-2')).status).toBe(200);
    expect(h.used('executionsThisMonth')).toBe(10);
  });

  it("a client that goes away fails the run, aborts the handler's signal and frees the slot", async () => {
    h = await harness();
    const i = inside();
    const base = await serve((app) => {
      app.post('/slow', { ax: spec }, async (req) => {
        const { signal } = fastifyRun(req);
        i.entered(signal);
        await new Promise((r) => signal.addEventListener('abort', r));
        return { late: true };
      });
    });
    await goneAway(`${base}/slow`, i.signal);
  });

  it('a client that goes away while the run is starting: the run ends as failed, the slot is freed, no handler runs', async () => {
    h = await harness();
    const gone = goneDuringBegin(h);
    const base = await serve((app) => {
      app.addHook('onRequest', async (_req, reply) => {
        reply.raw.once('close', gone.sawClose);
      });
      app.post('/run', { ax: spec }, async () => {
        gone.handled++;
        return { ok: true };
      });
    });
    await gone.run(`${base}/run`);
  });
});

describe('@ax/guard/express on 127.0.0.1', () => {
  async function serve(routes: (app: express.Express, ax: ReturnType<typeof expressGuard>) => void) {
    const app = express();
    const ax = expressGuard({
      guard: h.guard,
      context: (req) => (req.get('x-as') === 'viewer' ? h.viewer : h.dev),
    });
    routes(app, ax);
    app.use(problemHandler());
    const server = app.listen(0, '127.0.0.1');
    await new Promise<void>((resolve) => server.once('listening', resolve));
    close = () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  it(`${N} concurrent requests on a concurrency limit of ${LIMIT}: exactly ${LIMIT} succeed, the rest 429 QUOTA_EXCEEDED`, async () => {
    h = await harness({ plan: 'enterprise' });
    const b = barrier();
    const base = await serve((app, ax) => {
      app.post('/run', ax(spec), async (_req, res) => {
        expect(expressRun(res).lease).not.toBeNull();
        res.json(await b.work());
      });
    });
    const answers = await storm(`${base}/run`, b);
    await expectExactlyLimit(answers, b);
  });

  it('a refusal is problem+json 403; a handler error ends the run as failed and answers problem+json', async () => {
    h = await harness();
    const base = await serve((app, ax) => {
      app.post('/ok', ax(spec), (_req, res) => {
        res.json({ ok: true });
      });
      app.post('/boom', ax(spec), async () => {
        throw new Error('handler failed');
      });
    });
    expect((await fetch(`${base}/ok`, { method: 'POST' })).status).toBe(200);
    const denied = await fetch(`${base}/ok`, { method: 'POST', headers: { 'x-as': 'viewer' } });
    expect(denied.status).toBe(403);
    expect(((await denied.json()) as { code: string }).code).toBe('FORBIDDEN');
    const boom = await fetch(`${base}/boom`, { method: 'POST' });
    expect(boom.status).toBe(500);
    expect(boom.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    await h.guard.drain();
    expect(h.events().map((e) => e.action)).toEqual([
      `${ACTION}.started`,
      `${ACTION}.completed`,
      `${ACTION}.denied`,
      `${ACTION}.started`,
      `${ACTION}.failed`,
    ]);
    expect(h.leaseRows()).toBe(0);
  });
  it('a completed event that fails after the answer left goes to onError; the slot is still freed', async () => {
    const heard: string[] = [];
    h = await harness({
      override: (o) => ({
        ...o,
        onError: (_e, where) => heard.push(where),
        audit: {
          record: (tx, ctx, e) => o.audit.record(tx, ctx, e),
          append: (ctx, e) =>
            e.action.endsWith('.completed')
              ? Promise.reject(new AxError('INTERNAL', 503, 'audit down'))
              : o.audit.append(ctx, e),
        },
      }),
    });
    const base = await serve((app, ax) => {
      app.post('/ok', ax(spec), (_req, res) => {
        res.json({ ok: true });
      });
    });
    expect((await fetch(`${base}/ok`, { method: 'POST' })).status).toBe(200);
    await h.guard.drain();
    expect(heard).toEqual(['completed-event']);
    expect(h.leaseRows()).toBe(0);
  });

  it("a client that goes away fails the run, aborts the handler's signal and frees the slot", async () => {
    h = await harness();
    const i = inside();
    const base = await serve((app, ax) => {
      app.post('/slow', ax(spec), async (_req, res) => {
        const { signal } = expressRun(res);
        i.entered(signal);
        await new Promise((r) => signal.addEventListener('abort', r));
        res.json({ late: true });
      });
    });
    await goneAway(`${base}/slow`, i.signal);
  });

  it('a client that goes away while the run is starting: the run ends, the slot is freed, no handler runs', async () => {
    h = await harness();
    const gone = goneDuringBegin(h);
    const base = await serve((app, ax) => {
      app.use((_req, res, next) => {
        res.once('close', gone.sawClose);
        next();
      });
      app.post('/run', ax(spec), (_req, res) => {
        gone.handled++;
        res.json({ ok: true });
      });
    });
    await gone.run(`${base}/run`);
  });
});

/**
 * A client that goes away while its run is starting (`begin` held after the run took its slot): the server
 * wires `sawClose` to the response's close and counts `handled`; `run(url)` asserts the run ended as failed,
 * freed its slot and ran no handler.
 */
function goneDuringBegin(harnessed: Harness) {
  const started = slowBegin(harnessed);
  let sawClose!: () => void;
  const closed = new Promise<void>((r) => {
    sawClose = r;
  });
  const state = {
    handled: 0,
    sawClose: () => sawClose(),
    async run(url: string) {
      const ac = new AbortController();
      const answer = fetch(url, { method: 'POST', signal: ac.signal }).catch((e: unknown) => e);
      await started.begun; // the run holds its slot; `begin` has not resolved yet
      expect(harnessed.leaseRows()).toBe(1);
      ac.abort();
      await answer;
      await closed; // the server has seen the client go
      started.finish();
      await settledOrTimeout(harnessed.guard.drain());
      expect(harnessed.guard.active).toBe(0);
      expect(harnessed.leaseRows()).toBe(0);
      expect(state.handled).toBe(0);
      expect(harnessed.events().map((e) => e.action)).toEqual([`${ACTION}.started`, `${ACTION}.failed`]);
    },
  };
  return state;
}

/** Holds each `guard.begin` after the run started, until `finish()`: a slow start the client can outwait. */
function slowBegin(harnessed: Harness) {
  const { guard } = harnessed;
  const begin = guard.begin.bind(guard);
  let begun!: () => void;
  let finish!: () => void;
  const gate = new Promise<void>((r) => {
    finish = r;
  });
  const onBegun = new Promise<void>((r) => {
    begun = r;
  });
  guard.begin = async (ctx, s) => {
    const run = await begin(ctx, s);
    begun();
    await gate;
    return run;
  };
  return { begun: onBegun, finish };
}

/** Waits for `p`, or gives up after a while, so that a run that never ends fails the assertions after it. */
function settledOrTimeout(p: Promise<unknown>): Promise<unknown> {
  return Promise.race([p, new Promise((r) => setTimeout(r, 2000).unref())]);
}
