import {
  type AuditCheckpoint,
  type AuditHead,
  type AuditRow,
  type AuditStore,
  type Clock,
  createIdGenerator,
  type ExecutionContext,
  executionContextSchema,
  type IdGenerator,
  IntegrityError,
  type MacSigner,
  parseInput,
  type StorePorts,
  systemClock,
  type Transactional,
  ValidationError,
} from '@ax/core';
import { AUDIT_ACTIONS, isKnownAction } from './actions.js';
import { canonicalEvent } from './canonical.js';
import {
  anchorPayload,
  bytesEqual,
  type ChainBreak,
  ChainVerifier,
  chainHash,
  checkpointPayload,
  GENESIS_HASH,
  hex,
  unhex,
} from './chain.js';
import { redactedCanonicalJson, redactPatterns } from './redact.js';
import {
  type AuditEventInput,
  type AuditQuery,
  auditEventInputSchema,
  auditQuerySchema,
  type PublishedCheckpoint,
  publishedCheckpointSchema,
  tenantIdSchema,
  type VerifyOptions,
  verifyOptionsSchema,
} from './schemas.js';

/** The ports the audit log uses. */
export type AuditPorts = Pick<StorePorts, 'audit'>;

/** A logger the audit log reports appends to (pino fits). Lines carry redacted data only. */
export interface AuditLogger {
  debug(obj: object, msg?: string): void;
}

/** Options for {@link AuditLog}. */
export interface AuditLogOptions {
  store: Transactional<AuditPorts>;
  /** Signs event hashes, checkpoints, anchors and export manifests: `keyring.macSigner('audit')`. */
  signer: MacSigner;
  clock?: Clock;
  ids?: IdGenerator;
  /** Extra metadata keys to redact: strings match as case-insensitive substrings. */
  redact?: readonly (string | RegExp)[];
  /** App-defined actions, added to the built-in catalog. */
  actions?: readonly string[];
  /** Called with every checkpoint written: publish it outside the database (file, webhook, stdout). */
  publishCheckpoint?: (cp: PublishedCheckpoint) => void | Promise<void>;
  logger?: AuditLogger;
  /** Rows per page when streaming (default 1000). */
  pageSize?: number;
}

/** An audit event as read back. */
export interface AuditEvent {
  id: string;
  tenantId: string;
  seq: number;
  timestamp: number;
  actor: { type: 'user' | 'apiKey' | 'system'; id: string };
  action: string;
  resource: string | null;
  resourceType: string | null;
  outcome: 'success' | 'failure' | 'denied';
  reason: string | null;
  metadata: Record<string, unknown>;
  ip: string | null;
  userAgent: string | null;
  requestId: string | null;
  /** Hex SHA-256 of the previous event. */
  prevHash: string;
  /** Hex chain hash of this event. */
  hash: string;
  keyVersion: number;
}

/** Result of {@link AuditLog.verify}. */
export type VerifyResult =
  | {
      ok: true;
      tenantId: string;
      count: number;
      fromSeq: number;
      toSeq: number;
      headHash: string;
    }
  | (ChainBreak & { tenantId: string });

const MAX_METADATA_BYTES = 64 * 1024;

/** Maps a stored row to the read shape. */
export function toAuditEvent(r: AuditRow): AuditEvent {
  return {
    id: r.id,
    tenantId: r.tenantId,
    seq: r.seq,
    timestamp: r.timestamp,
    actor: { type: r.actorType, id: r.actorId },
    action: r.action,
    resource: r.resource,
    resourceType: r.resourceType,
    outcome: r.outcome,
    reason: r.reason,
    metadata: JSON.parse(r.metadata) as Record<string, unknown>,
    ip: r.ip,
    userAgent: r.userAgent,
    requestId: r.requestId,
    prevHash: hex(r.prevHash),
    hash: hex(r.hash),
    keyVersion: r.keyVersion,
  };
}

/** Portable (hex) form of a checkpoint. */
export function publishCheckpointForm(cp: AuditCheckpoint): PublishedCheckpoint {
  return {
    tenantId: cp.tenantId,
    seq: cp.seq,
    headHash: hex(cp.headHash),
    time: cp.time,
    keyVersion: cp.keyVersion,
    mac: hex(cp.mac),
  };
}

interface Prepared {
  actorType: AuditRow['actorType'];
  actorId: string;
  action: string;
  resource: string | null;
  resourceType: string | null;
  outcome: AuditRow['outcome'];
  reason: string | null;
  metadata: string;
}

/**
 * The tamper-evident audit log. Each tenant has a hash chain; each event's hash is signed with the
 * audit MAC key; checkpoints sign the head. Appends run in the store's transaction (or the caller's, with
 * {@link AuditLog.record}) so a change and its event commit together.
 */
export class AuditLog {
  readonly #store: Transactional<AuditPorts>;
  readonly #signer: MacSigner;
  readonly #clock: Clock;
  readonly #ids: IdGenerator;
  readonly #patterns: RegExp[];
  readonly #actions: Set<string>;
  readonly #publish: AuditLogOptions['publishCheckpoint'];
  readonly #logger: AuditLogger | undefined;
  readonly #pageSize: number;
  // Metadata keys seen and whether a redaction pattern matches them: apps use a small set of keys, so
  // this saves running every pattern on every key of every event. Bounded against arbitrary keys.
  readonly #secretKeys = new Map<string, boolean>();
  readonly #isSecretKey = (key: string): boolean => {
    let hit = this.#secretKeys.get(key);
    if (hit === undefined) {
      hit = this.#patterns.some((p) => p.test(key));
      if (this.#secretKeys.size >= 4096) this.#secretKeys.clear();
      this.#secretKeys.set(key, hit);
    }
    return hit;
  };

  constructor(options: AuditLogOptions) {
    this.#store = options.store;
    this.#signer = options.signer;
    this.#clock = options.clock ?? systemClock;
    this.#ids = options.ids ?? createIdGenerator(this.#clock);
    this.#patterns = redactPatterns(options.redact);
    this.#actions = new Set<string>([...AUDIT_ACTIONS, ...(options.actions ?? [])]);
    this.#publish = options.publishCheckpoint;
    this.#logger = options.logger;
    this.#pageSize = options.pageSize ?? 1000;
  }

  /** The MAC signer (for exports and offline verification helpers). */
  get signer(): MacSigner {
    return this.#signer;
  }

  /** The clock in use. */
  get clock(): Clock {
    return this.#clock;
  }

  /** The store in use. */
  get store(): Transactional<AuditPorts> {
    return this.#store;
  }

  /** True when `action` is in the catalog (built-in or registered), or is a phase of one (`….started`). */
  knowsAction(action: string): boolean {
    return isKnownAction(this.#actions, action);
  }

  /** Appends one event in its own transaction. */
  async append(ctx: ExecutionContext, event: AuditEventInput): Promise<AuditEvent> {
    const [row] = await this.#append(this.#store.audit, ctx, [event]);
    return toAuditEvent(row!);
  }

  /** Appends several events of one tenant atomically: one transaction, consecutive seqs. */
  async appendBatch(ctx: ExecutionContext, events: readonly AuditEventInput[]): Promise<AuditEvent[]> {
    return (await this.#append(this.#store.audit, ctx, events)).map(toAuditEvent);
  }

  /**
   * Appends inside the caller's `store.transaction(async (tx) => …)`: the change and its event commit
   * together, or neither does.
   */
  async record(tx: AuditPorts, ctx: ExecutionContext, event: AuditEventInput): Promise<AuditEvent> {
    const [row] = await this.#append(tx.audit, ctx, [event]);
    return toAuditEvent(row!);
  }

  #prepare(ctx: ExecutionContext, input: AuditEventInput): Prepared {
    const e = parseInput(auditEventInputSchema, input, 'audit event');
    if (!isKnownAction(this.#actions, e.action)) {
      throw new ValidationError(`unknown audit action ${e.action}: register it in AuditLogOptions.actions`, [
        {
          path: ['action'],
          message: 'not in the action catalog',
          code: 'custom',
        },
      ]);
    }
    const metadata =
      e.metadata === undefined ? '{}' : redactedCanonicalJson(e.metadata, this.#patterns, this.#isSecretKey);
    if (Buffer.byteLength(metadata) > MAX_METADATA_BYTES) {
      throw new ValidationError('audit metadata is over 64 KiB', [
        { path: ['metadata'], message: 'too large', code: 'too_big' },
      ]);
    }
    const actor = e.actor ?? ctx.actor;
    return {
      actorType: actor.type,
      actorId: actor.id,
      action: e.action,
      resource: e.resource ?? null,
      resourceType: e.resourceType ?? null,
      outcome: e.outcome,
      reason: e.reason ?? null,
      metadata,
    };
  }

  async #append(
    port: AuditStore,
    ctxInput: ExecutionContext,
    events: readonly AuditEventInput[],
  ): Promise<AuditRow[]> {
    const ctx = parseInput(executionContextSchema, ctxInput, 'execution context');
    if (events.length === 0) return [];
    const prepared = events.map((e) => this.#prepare(ctx, e));
    const rows = await port.append(ctx.tenantId, (head) => this.#seal(ctx, head, prepared));
    this.#logger?.debug(
      {
        tenantId: ctx.tenantId,
        seqs: [rows[0]?.seq, rows.at(-1)?.seq],
        actions: prepared.map((p) => p.action),
      },
      'audit events appended',
    );
    return rows;
  }

  // Runs inside the adapter's write transaction: must stay synchronous.
  #seal(ctx: ExecutionContext, head: AuditHead, prepared: Prepared[]): AuditRow[] {
    const timestamp = Math.max(this.#clock.now(), head.timestamp);
    let prev = head.hash;
    let seq = head.seq;
    const ip = ctx.ip ?? null;
    const userAgent = ctx.userAgent ?? null;
    const requestId = ctx.requestId ?? null;
    const rows = new Array<AuditRow>(prepared.length);
    // One object per row, built once in its final shape (no spreads), then hashed and signed in place.
    for (let i = 0; i < prepared.length; i++) {
      const p = prepared[i]!;
      const row: AuditRow = {
        id: this.#ids.next('audit'),
        tenantId: ctx.tenantId,
        seq: ++seq,
        timestamp,
        actorType: p.actorType,
        actorId: p.actorId,
        action: p.action,
        resource: p.resource,
        resourceType: p.resourceType,
        outcome: p.outcome,
        reason: p.reason,
        metadata: p.metadata,
        ip,
        userAgent,
        requestId,
        prevHash: prev,
        hash: GENESIS_HASH,
        keyVersion: 0,
        mac: GENESIS_HASH,
      };
      const hash = chainHash(prev, canonicalEvent(row));
      const { keyVersion, mac } = this.#signer.sign(hash);
      row.hash = hash;
      row.keyVersion = keyVersion;
      row.mac = mac;
      rows[i] = row;
      prev = hash;
    }
    return rows;
  }

  /** Streams a tenant's rows in seq order, one page (array) at a time: never the whole log in memory. */
  async *pages(
    tenantId: string,
    range: { from?: number; to?: number; pageSize?: number } = {},
  ): AsyncGenerator<AuditRow[]> {
    let from = range.from ?? 1;
    const to = range.to ?? Number.MAX_SAFE_INTEGER;
    const limit = range.pageSize ?? this.#pageSize;
    while (from <= to) {
      const page = await this.#store.audit.readRange(tenantId, { fromSeq: from, toSeq: to, limit });
      if (page.length > 0) yield page;
      if (page.length < limit) return;
      from = page[page.length - 1]!.seq + 1;
    }
  }

  /** Streams a tenant's rows in seq order (paged underneath). */
  async *rows(tenantId: string, range: { from?: number; to?: number } = {}): AsyncGenerator<AuditRow> {
    for await (const page of this.pages(tenantId, range)) yield* page;
  }

  /** {@link rows} mapped to the read shape. */
  async *stream(tenantId: string, range: { from?: number; to?: number } = {}): AsyncGenerator<AuditEvent> {
    for await (const r of this.rows(tenantId, range)) yield toAuditEvent(r);
  }

  /** Filtered, indexed query, newest first, with a cursor for the next page. */
  async query(filter: AuditQuery): Promise<{ events: AuditEvent[]; nextCursor: string | null }> {
    const f = parseInput(auditQuerySchema, filter, 'audit query');
    const { allTenants: _all, ...rest } = f;
    const page = await this.#store.audit.query(rest);
    return { events: page.rows.map(toAuditEvent), nextCursor: page.nextCursor };
  }

  /**
   * Signs and stores the tenant's head as a checkpoint, and publishes it when a publisher is set. Throws
   * IntegrityError when the head is not the hash of a signed event at its seq (a rewritten head row).
   */
  async checkpoint(tenantIdInput: string): Promise<PublishedCheckpoint> {
    const tenantId = parseInput(tenantIdSchema, tenantIdInput, 'tenant id');
    const head = await this.#store.audit.head(tenantId);
    await this.#checkHead(head);
    const body = {
      tenantId,
      seq: head.seq,
      headHash: head.hash,
      time: this.#clock.now(),
    };
    const { keyVersion, mac } = this.#signer.sign(checkpointPayload(body));
    const cp: AuditCheckpoint = { ...body, keyVersion, mac };
    await this.#store.audit.insertCheckpoint(cp);
    const published = publishCheckpointForm(cp);
    await this.#publish?.(published);
    return published;
  }

  // A checkpoint vouches for the head: sign it only when it is the hash of a genuinely signed event at that
  // seq (or of the signed retention anchor, when everything up to the head was pruned). The head row is
  // writable apart from its seq, so without this a rewritten head hash would be signed as it stands.
  async #checkHead(head: AuditHead): Promise<void> {
    if (head.seq === 0) return;
    const port = this.#store.audit;
    const row = await port.getBySeq(head.tenantId, head.seq);
    let ok: boolean;
    if (row) {
      ok = bytesEqual(row.hash, head.hash) && this.#signer.verify(row.hash, row.mac, row.keyVersion);
    } else {
      const a = await port.anchor(head.tenantId);
      ok =
        a !== null &&
        a.seq === head.seq &&
        bytesEqual(a.hash, head.hash) &&
        this.#signer.verify(anchorPayload(a), a.mac, a.keyVersion);
    }
    if (!ok) {
      throw new IntegrityError(
        `refusing to checkpoint: the head of ${head.tenantId} at seq ${head.seq} is not a signed event (run verify)`,
        { details: { tenantId: head.tenantId, seq: head.seq } },
      );
    }
  }

  /** True when a published checkpoint's signature verifies. */
  verifyCheckpoint(cp: PublishedCheckpoint): boolean {
    const c = parseInput(publishedCheckpointSchema, cp, 'checkpoint');
    return this.#signer.verify(
      checkpointPayload({
        tenantId: c.tenantId,
        seq: c.seq,
        headHash: unhex(c.headHash),
        time: c.time,
      }),
      unhex(c.mac),
      c.keyVersion,
    );
  }

  /**
   * Verifies a tenant's chain (or `from..to`), streaming: every hash, link and signature, the retention
   * anchor, and, given a checkpoint, that nothing after it was cut off. Returns `ok` and a count, or the
   * first bad seq and what is wrong there.
   */
  async verify(tenantIdInput: string, options: VerifyOptions = {}): Promise<VerifyResult> {
    const tenantId = parseInput(tenantIdSchema, tenantIdInput, 'tenant id');
    const o = parseInput(verifyOptionsSchema, options, 'verify options');
    const port = this.#store.audit;
    const head = await port.head(tenantId);
    const anchor = await port.anchor(tenantId);
    const broken = (b: ChainBreak): VerifyResult => ({ ...b, tenantId });
    const probe = new ChainVerifier(this.#signer, {
      seq: 1,
      prevHash: new Uint8Array(32),
    });

    let startSeq = 1;
    let prevHash: Uint8Array = new Uint8Array(32);
    if (anchor) {
      if (!this.#signer.verify(anchorPayload(anchor), anchor.mac, anchor.keyVersion)) {
        return broken(
          probe.fail(anchor.seq, 'bad-signature', 'the retention anchor signature does not verify'),
        );
      }
      startSeq = anchor.seq + 1;
      prevHash = anchor.hash;
    }
    const cp = o.checkpoint;
    if (cp) {
      if (cp.tenantId !== tenantId || !this.verifyCheckpoint(cp)) {
        return broken(probe.fail(cp.seq, 'bad-signature', 'the checkpoint signature does not verify'));
      }
    }
    if (o.from !== undefined && o.from > startSeq) {
      const before = await port.getBySeq(tenantId, o.from - 1);
      if (!before) return broken(probe.fail(o.from - 1, 'missing'));
      startSeq = o.from;
      prevHash = before.hash;
    }
    const v = new ChainVerifier(this.#signer, {
      seq: startSeq,
      prevHash,
      headSeq: head.seq,
      expect: cp && cp.seq >= startSeq ? { seq: cp.seq, hash: unhex(cp.headHash) } : undefined,
    });
    for await (const page of this.pages(tenantId, { from: startSeq, to: o.to })) {
      for (const row of page) {
        const b = v.push(row);
        if (b) return broken(b);
      }
    }
    const last = v.finish();
    if (last) return broken(last);
    const reached = v.nextSeq - 1;
    const wanted = Math.max(
      o.to === undefined ? head.seq : Math.min(o.to, head.seq),
      cp && (o.to === undefined || cp.seq <= o.to) ? cp.seq : 0,
    );
    if (reached < wanted) {
      return broken(
        v.fail(reached + 1, 'truncated', `the chain ends at seq ${reached} but reached ${wanted} before`),
      );
    }
    return {
      ok: true,
      tenantId,
      count: v.count,
      fromSeq: startSeq,
      toSeq: reached,
      headHash: hex(v.lastHash),
    };
  }
}
