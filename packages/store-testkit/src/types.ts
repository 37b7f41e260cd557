import type { Store, StorePorts, Tenant, Transactional, User } from '@ax/core';

/** The test functions a suite needs; vitest's, jest's, mocha's or node:test's all fit. */
export interface TestApi {
  describe(name: string, fn: () => void): void;
  it(name: string, fn: () => Promise<void> | void, timeout?: number): void;
}

/**
 * Raw reads an adapter supplies, bypassing its own port code (plain SQL, a raw driver call), so a suite
 * checks what really sits in storage and an adapter that is consistently wrong cannot pass.
 */
export interface CoreProbe {
  /** The tenant row as stored, mapped to the entity shape, or null. */
  tenantRow(id: string): Promise<Tenant | null>;
  /** The user row as stored, mapped to the entity shape, or null. */
  userRow(id: string): Promise<User | null>;
}

/**
 * What a store factory returns: a fresh, empty, migrated store (`S`: only the ports the suite tests, so a
 * single-port store fits a single-port suite), its probe, and how to clean up.
 */
export interface StoreFixture<P = CoreProbe, S = Store> {
  store: S;
  probe: P;
  cleanup(): Promise<void>;
}

/** Makes a fresh fixture for each test. */
export type StoreFactory<P = CoreProbe, S = Store> = () => Promise<StoreFixture<P, S>>;

/** A store with only the ports `K`. */
export type PortsOf<K extends keyof StorePorts> = Pick<StorePorts, K>;

/** A store with only the ports `K`, plus `transaction(fn, { retries })`. */
export type TransactionalPorts<K extends keyof StorePorts> = Transactional<Pick<StorePorts, K>>;
