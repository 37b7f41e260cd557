import { createHmac, timingSafeEqual } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createContext, type ExecutionContext, type MacSigner, ManualClock } from '@ax/core';
import { openSqliteStore, type SqliteStore } from '@ax/store-sqlite';
import { AuditLog, type AuditLogOptions } from '../src/index.js';

/** A MacSigner on node:crypto HMAC-SHA256 with versioned keys (stands in for @ax/crypto's keyring). */
export class TestMacSigner implements MacSigner {
  readonly #keys = new Map<number, Buffer>();
  currentVersion: number;

  constructor(keys: Record<number, string> = { 1: 'audit-key-v1' }) {
    for (const [v, k] of Object.entries(keys)) this.#keys.set(Number(v), Buffer.from(k));
    this.currentVersion = Math.max(...this.#keys.keys());
  }

  /** Adds a key version and makes it current (rotation). */
  rotate(key: string): void {
    this.currentVersion++;
    this.#keys.set(this.currentVersion, Buffer.from(key));
  }

  sign(data: Uint8Array | string): { keyVersion: number; mac: Uint8Array } {
    const key = this.#keys.get(this.currentVersion)!;
    return {
      keyVersion: this.currentVersion,
      mac: createHmac('sha256', key).update(data).digest(),
    };
  }

  verify(data: Uint8Array | string, mac: Uint8Array, keyVersion: number): boolean {
    const key = this.#keys.get(keyVersion);
    if (!key || mac.byteLength !== 32) return false;
    return timingSafeEqual(createHmac('sha256', key).update(data).digest(), mac);
  }
}

/** A temp dir removed by `remove()`. */
export function tempDir(): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'ax-audit-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export const T1 = 'tnt_01JAAAAAAAAAAAAAAAAAAAAAA1';
export const T2 = 'tnt_01JAAAAAAAAAAAAAAAAAAAAAA2';

export function ctxFor(tenantId = T1, actorId = 'usr_alice'): ExecutionContext {
  return createContext({
    tenantId,
    actor: { type: 'user', id: actorId },
    ip: '203.0.113.7',
    requestId: 'req_1',
    userAgent: 'vitest',
  });
}

export interface Fixture {
  dir: string;
  file: string;
  store: SqliteStore;
  signer: TestMacSigner;
  clock: ManualClock;
  log: AuditLog;
  cleanup(): Promise<void>;
}

/** A fresh file-backed store and an audit log on it. */
export async function fixture(opts: Partial<AuditLogOptions> = {}): Promise<Fixture> {
  const tmp = tempDir();
  const file = join(tmp.dir, 'audit.db');
  const store = await openSqliteStore(file);
  const signer = (opts.signer as TestMacSigner | undefined) ?? new TestMacSigner();
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  const log = new AuditLog({ store, signer, clock, ...opts });
  return {
    dir: tmp.dir,
    file,
    store,
    signer,
    clock,
    log,
    async cleanup() {
      await store.close();
      tmp.remove();
    },
  };
}
