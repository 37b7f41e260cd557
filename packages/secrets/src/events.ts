import type { Actor, EventBus, StorePorts } from '@ax/core';

/** What happened to a secret. */
export type SecretEventType = 'created' | 'updated' | 'accessed' | 'deleted';

/**
 * A change to (or read of) a secret, for the audit log. Carries who, which tenant, which key and version,
 * and when; never the value or its ciphertext.
 */
export interface SecretEvent {
  type: SecretEventType;
  tenantId: string;
  key: string;
  /** The version created, updated to, read, or (for `deleted`) the last current version. */
  version: number;
  actor: Actor;
  /** Milliseconds since the epoch, from the manager's clock. */
  at: number;
  requestId?: string;
}

/** The ports of a transaction a secret operation runs in (the app's store gives every port). */
export type SecretTx = Pick<StorePorts, 'secrets'> & Partial<StorePorts>;

/**
 * Events of the SecretsManager, on core's {@link EventBus}:
 * - `created`, `updated`, `deleted`: `inTransaction` listeners run in the change's transaction (a rejection
 *   rolls the change back); `afterCommit` listeners are told once it committed.
 * - `accessed`: with an `inTransaction` listener, the read runs in a transaction with it, and a rejection
 *   fails the read (fail closed: no value leaves unrecorded); with only `afterCommit` listeners the read
 *   stays a plain read and they are told after it.
 */
export interface SecretEvents {
  created: SecretEvent;
  updated: SecretEvent;
  deleted: SecretEvent;
  accessed: SecretEvent;
}

/** The SecretsManager's event bus. */
export type SecretEventBus = EventBus<SecretEvents, SecretTx>;
