import { closeSync, existsSync, mkdirSync, openSync, readSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import {
  type Clock,
  IntegrityError,
  type Store,
  type StorePorts,
  systemClock,
  type TransactionOptions,
} from '@ax/core';
import {
  type Migration,
  type MigrationResult,
  migrate,
  pendingMigrations,
  runTransaction,
} from '@ax/core/adapter';
import BetterSqlite3, { type Database } from 'better-sqlite3';
import { sqliteAuditStore } from './audit.js';
import { wrapPorts } from './guard-ports.js';
import { type CarriedReservation, sqliteKeyringStore, sqliteReservationRestorer } from './keyring.js';
import { sqliteSecretStore } from './secrets.js';
import { sqliteMigrationDialect } from './migrate.js';
import { MIGRATIONS } from './migrations/index.js';
import { sqliteRbacStore } from './rbac.js';
import { sqliteRateLimits } from './rate-limits.js';
import { SerialQueue } from './serial-queue.js';
import { mapBusy } from './sqlite-errors.js';
import { lazyPort } from './lazy-port.js';
import { QUOTA_STORE_METHODS, sqliteQuotaStore } from './quotas.js';
import { sqliteTenantStore } from './tenants.js';
import { sqliteUserStore } from './users.js';

/** Options for {@link openSqliteStore}. */
export interface SqliteStoreOptions {
  /**
   * Apply pending migrations on open (default true). When false, open verifies applied migrations and
   * refuses a database with pending ones (IntegrityError), so a server never runs on a half-migrated schema.
   */
  migrate?: boolean;
  /** How long a writer waits for another process's lock before SQLITE_BUSY (default 5000 ms). */
  busyTimeoutMs?: number;
  /** Clock for `applied_at` timestamps. */
  clock?: Clock;
  /** Replaces the shipped migrations. For adapter tests; applications never set this. */
  migrations?: readonly Migration[];
  /**
   * Called with the text of every statement run on the store's connection, from the PRAGMAs at open on (with
   * bound values inlined, so treat it as sensitive): for counting statements in tests and diagnosing. Statements
   * run by triggers are not reported. better-sqlite3's `verbose` hook: it runs synchronously before each
   * statement, and an exception it throws fails that statement.
   */
  onStatement?: (sql: string) => void;
}

function createPorts(db: Database): StorePorts {
  return {
    tenants: sqliteTenantStore(db),
    users: sqliteUserStore(db),
    audit: sqliteAuditStore(db),
    keyring: sqliteKeyringStore(db),
    secrets: sqliteSecretStore(db),
    quotas: lazyPort(() => sqliteQuotaStore(db), QUOTA_STORE_METHODS),
    rbac: sqliteRbacStore(db),
  };
}

/**
 * Every @ax storage port on one better-sqlite3 connection.
 *
 * better-sqlite3 is synchronous, so one connection is shared; async transactions are serialised through a
 * queue so that two transactions' statements never interleave across their awaits. Across processes,
 * `BEGIN IMMEDIATE` plus `busy_timeout` serialise writers.
 */
export class SqliteStore implements Store {
  readonly kind = 'sqlite';
  /** The underlying connection, for raw probes and libraries that take a better-sqlite3 handle. */
  readonly db: Database;
  readonly filename: string;
  readonly tenants: StorePorts['tenants'];
  readonly users: StorePorts['users'];
  readonly audit: StorePorts['audit'];
  readonly keyring: StorePorts['keyring'];
  readonly secrets: StorePorts['secrets'];
  readonly quotas: StorePorts['quotas'];
  readonly rbac: StorePorts['rbac'];
  /**
   * Rate limits: rate-limiter-flexible's `RateLimiterSQLite` on this connection. A limiter call waits for an open
   * transaction to end, so a charge never becomes part of it; made from inside this store's own transaction it
   * is refused (it would either join that transaction or wait for it forever).
   */
  readonly rateLimits: Store['rateLimits'];

  readonly #queue = new SerialQueue();
  readonly #ports: StorePorts;
  readonly #migrations: readonly Migration[];
  readonly #clock: Clock;
  readonly #inode: number | null;
  readonly #restoreReservations: (carried: readonly CarriedReservation[]) => void;
  // Blocks the store's own keyring port granted inside the running transaction (null outside one).
  #carried: CarriedReservation[] | null = null;
  #closed = false;

  /** @internal use {@link openSqliteStore} */
  constructor(db: Database, filename: string, migrations: readonly Migration[], clock: Clock) {
    this.db = db;
    this.filename = filename;
    this.#migrations = migrations;
    this.#clock = clock;
    this.#inode = db.memory ? null : statSync(filename).ino;
    this.#ports = createPorts(db);
    const guarded = wrapPorts(this.#ports, (fn) => this.#outside(fn));
    this.tenants = guarded.tenants;
    this.users = guarded.users;
    this.audit = guarded.audit;
    // The keyring reserves encryption blocks whenever its local block runs low, which can happen while the
    // caller is inside a transaction (a secret written with `{ tx }`). Waiting for the queue there would
    // deadlock, so from inside a transaction its single-statement calls join that transaction. A granted
    // block is used at once, so a reservation must not roll back with the caller's work: `transaction`
    // re-adds it in the same commit that undoes the rest (see #rollbackKeepingReservations).
    const keyring = this.#ports.keyring;
    const ownKeyring = wrapPorts({ keyring }, (fn) =>
      this.#queue.insideJob ? fn() : this.#outside(fn),
    ).keyring;
    this.keyring = {
      ...ownKeyring,
      reserveEncryptions: (name, version, count, limit) => {
        const carried = this.#queue.insideJob && this.db.inTransaction ? this.#carried : null;
        if (!carried) return ownKeyring.reserveEncryptions(name, version, count, limit);
        // The UPDATE runs synchronously inside this call, so the transaction it joins is the one open now.
        return keyring.reserveEncryptions(name, version, count, limit).then((block) => {
          if (block) carried.push({ name, version, count: block.to - block.from });
          return block;
        });
      },
    };
    this.#restoreReservations = sqliteReservationRestorer(db);
    this.secrets = guarded.secrets;
    this.quotas = guarded.quotas;
    this.rbac = guarded.rbac;
    this.rateLimits = sqliteRateLimits(db, (fn) => this.#outsideAlways(fn));
  }

  // A call on the store's own ports: runs at once when no transaction holds the connection, else waits.
  #outside(fn: () => Promise<unknown>): Promise<unknown> {
    if (this.#closed) return Promise.reject(new Error('store is closed'));
    if (this.#queue.idle) return fn();
    if (this.#queue.insideJob) {
      return Promise.reject(
        new Error('store port used inside its own transaction: use the `tx` ports passed to transaction(fn)'),
      );
    }
    return this.#queue.run(fn);
  }

  // Like #outside, but queued even when idle: rate-limiter-flexible runs its SQL after an await, by which time
  // a transaction begun meanwhile could hold the connection and take the statement in.
  #outsideAlways<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#closed) return Promise.reject(new Error('store is closed'));
    if (this.#queue.insideJob) {
      return Promise.reject(
        new Error(
          "rate limiter used inside the store's own transaction: charge before or after it (a charge is never part of a transaction)",
        ),
      );
    }
    return this.#queue.run(fn);
  }

  /**
   * Runs `fn` in one IMMEDIATE transaction; commits when it resolves, rolls back when it throws. Writers are
   * serialised (the queue in-process, `BEGIN IMMEDIATE` plus `busy_timeout` across processes), so transactions
   * are serializable; a lock still busy after `busy_timeout` is a retryable ConflictError, and `fn` is re-run
   * (up to `retries`, default 5) by the shared runner of `@ax/core/adapter`, which also runs `onCommit` callbacks
   * only after COMMIT.
   */
  transaction<T>(fn: (tx: StorePorts) => Promise<T>, options?: TransactionOptions): Promise<T> {
    if (this.#closed) return Promise.reject(new Error('store is closed'));
    if (this.#queue.insideJob) {
      return Promise.reject(new Error('nested transaction: use the `tx` ports you were given'));
    }
    return runTransaction(
      {
        attempt: <U>(body: (tx: StorePorts) => Promise<U>): Promise<U> => {
          if (this.#closed) return Promise.reject(new Error('store is closed'));
          return this.#queue.run(() => this.#attempt(body));
        },
      },
      fn,
      options,
    );
  }

  // One attempt: BEGIN IMMEDIATE, fn, COMMIT (or roll back). A fresh `tx` each time (commit hooks key on it).
  async #attempt<T>(fn: (tx: StorePorts) => Promise<T>): Promise<T> {
    let open = true;
    const tx = wrapPorts(this.#ports, (call) =>
      open ? call() : Promise.reject(new Error('transaction already finished: its ports cannot be used')),
    );
    try {
      this.db.exec('BEGIN IMMEDIATE');
    } catch (err) {
      open = false;
      throw mapBusy(err);
    }
    this.db.exec(`SAVEPOINT ${WORK_SAVEPOINT}`);
    const carried: CarriedReservation[] = [];
    this.#carried = carried;
    try {
      const result = await fn(tx);
      this.db.exec('COMMIT');
      return result;
    } catch (err) {
      this.#rollbackKeepingReservations(carried);
      throw mapBusy(err);
    } finally {
      open = false;
      this.#carried = null;
    }
  }

  // Undoes the transaction's work. Encryption blocks the keyring reserved through the store's own port while
  // it was open are already in use, so they are re-added in the same commit: the stored count can only
  // over-count, as after a crash.
  #rollbackKeepingReservations(carried: readonly CarriedReservation[]): void {
    if (!this.db.inTransaction) {
      // SQLite already rolled everything back (e.g. on an I/O error): re-add them on their own, best effort
      // (the caller gets the original error either way).
      try {
        if (carried.length > 0) this.#restoreReservations(carried);
      } catch {}
      return;
    }
    if (carried.length === 0) {
      this.db.exec('ROLLBACK');
      return;
    }
    try {
      this.db.exec(`ROLLBACK TO ${WORK_SAVEPOINT}`);
      this.#restoreReservations(carried);
      this.db.exec('COMMIT');
    } catch {
      if (this.db.inTransaction) this.db.exec('ROLLBACK');
    }
  }

  /** Applies pending migrations; throws IntegrityError (writing nothing) if applied ones were edited. */
  migrate(): Promise<MigrationResult> {
    return migrate(sqliteMigrationDialect(this.db), this.#migrations, { now: () => this.#clock.now() });
  }

  /** Migrations not yet applied. Throws IntegrityError like {@link migrate}, without writing. */
  async pendingMigrations(): Promise<{ id: number; name: string }[]> {
    const pending = await pendingMigrations(sqliteMigrationDialect(this.db), this.#migrations);
    return pending.map(({ id, name }) => ({ id, name }));
  }

  /** Checks the file is still the one opened (not deleted or replaced) and answers a query. */
  async ping(): Promise<void> {
    if (this.#closed) throw new IntegrityError('store is closed');
    if (this.#inode !== null) {
      let ino: number | null = null;
      try {
        ino = statSync(this.filename).ino;
      } catch {
        ino = null;
      }
      if (ino !== this.#inode)
        throw new IntegrityError(`database file ${this.filename} is missing or was replaced`);
    }
    this.db.prepare('SELECT 1').get();
    if ((await this.pendingMigrations()).length > 0)
      throw new IntegrityError('database has pending migrations');
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    await this.#queue.run(async () => undefined); // let queued work finish
    this.#closed = true;
    this.db.close();
  }
}

// Everything a transaction's callback does sits under this savepoint, so a rollback can keep reservations.
const WORK_SAVEPOINT = 'ax_tx_work';

// SQLite's file header: bytes 18 and 19 (write and read format versions) are 2 in WAL mode, which is
// persistent. Read with fs, so opening a database this adapter made runs no statement to check it.
function hasWalHeader(filename: string): boolean {
  if (filename === ':memory:' || filename === '') return false;
  let fd: number | undefined;
  try {
    fd = openSync(filename, 'r');
    const header = Buffer.alloc(20);
    return readSync(fd, header, 0, 20, 0) === 20 && header[18] === 2 && header[19] === 2;
  } catch {
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function openDatabase(filename: string, options: SqliteStoreOptions): Database {
  const memory = filename === ':memory:';
  if (!memory && !existsSync(dirname(filename))) mkdirSync(dirname(filename), { recursive: true });
  const onStatement = options.onStatement;
  // The busy timeout is set through the driver (sqlite3_busy_timeout, no statement), before anything runs: on a
  // new file, processes opening at once wait for each other's WAL switch.
  const db = new BetterSqlite3(filename, {
    timeout: Math.max(0, Math.trunc(options.busyTimeoutMs ?? 5000)),
    ...(onStatement ? { verbose: (sql: unknown) => onStatement(String(sql)) } : {}),
  });
  try {
    // Already WAL (every database this adapter made, as the file's header says): no statement at all.
    if (!hasWalHeader(filename) && db.pragma('journal_mode', { simple: true }) !== 'wal') {
      db.pragma('journal_mode = WAL');
    }
    db.pragma('foreign_keys = ON');
    db.pragma('synchronous = NORMAL');
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}

/**
 * Opens (creating if needed) a SQLite database and returns the store. Sets WAL, `foreign_keys=ON`,
 * `busy_timeout` and `synchronous=NORMAL`, verifies migration checksums and, by default, migrates.
 */
export async function openSqliteStore(
  filename: string,
  options: SqliteStoreOptions = {},
): Promise<SqliteStore> {
  const db = openDatabase(filename, options);
  try {
    const migrations = options.migrations ?? MIGRATIONS;
    const clock = options.clock ?? systemClock;
    const dialect = sqliteMigrationDialect(db);
    if (options.migrate === false) {
      const pending = await pendingMigrations(dialect, migrations);
      if (pending.length > 0) {
        throw new IntegrityError(`database needs ${pending.length} migration(s): run \`ax migrate\``, {
          details: { pending: pending.map((m) => m.id) },
        });
      }
    } else {
      await migrate(dialect, migrations, { now: () => clock.now() });
    }
    return new SqliteStore(db, filename, migrations, clock);
  } catch (err) {
    db.close();
    throw err;
  }
}

/**
 * Verifies and applies pending migrations to a database file, then closes it. Returns what it applied.
 * Throws IntegrityError, writing nothing, when an applied migration was edited or the database is newer.
 */
export async function migrateSqlite(
  filename: string,
  options: Omit<SqliteStoreOptions, 'migrate'> = {},
): Promise<MigrationResult> {
  const db = openDatabase(filename, options);
  try {
    const clock = options.clock ?? systemClock;
    return await migrate(sqliteMigrationDialect(db), options.migrations ?? MIGRATIONS, {
      now: () => clock.now(),
    });
  } finally {
    db.close();
  }
}
