import { type Actor, parseInput } from '@ax/core';
import { z } from 'zod';

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

const subscriptionSchema = z.object({
  type: z.enum(['created', 'updated', 'accessed', 'deleted', '*']),
  listener: z.custom<SecretEventListener>((v) => typeof v === 'function', 'expected a function'),
});

/** A listener for secret events. */
export type SecretEventListener = (event: SecretEvent) => void;

/**
 * A small typed emitter. Emitting with no listener costs one array-length check: no event object is built.
 * A listener that throws does not undo the operation (it already happened): its error goes to `onError`.
 */
export class SecretEvents {
  readonly #byType: Record<SecretEventType, SecretEventListener[]> = {
    created: [],
    updated: [],
    accessed: [],
    deleted: [],
  };
  readonly #onError: (err: unknown, event: SecretEvent) => void;

  constructor(onError?: (err: unknown, event: SecretEvent) => void) {
    this.#onError =
      onError ??
      ((err, event) =>
        process.emitWarning(
          `secret ${event.type} listener failed: ${err instanceof Error ? err.message : String(err)}`,
        ));
  }

  /** Subscribes to one type, or to every type with `'*'`. Returns the unsubscribe function. */
  on(type: SecretEventType | '*', listener: SecretEventListener): () => void {
    parseInput(subscriptionSchema, { type, listener }, 'secret event subscription');
    const types: SecretEventType[] = type === '*' ? ['created', 'updated', 'accessed', 'deleted'] : [type];
    for (const t of types) this.#byType[t] = [...this.#byType[t], listener];
    return () => {
      for (const t of types) this.#byType[t] = this.#byType[t].filter((l) => l !== listener);
    };
  }

  /** True when someone listens to `type`; callers skip building the event otherwise. */
  listening(type: SecretEventType): boolean {
    return this.#byType[type].length > 0;
  }

  /** @internal */
  emit(event: SecretEvent): void {
    for (const listener of this.#byType[event.type]) {
      try {
        listener(event);
      } catch (err) {
        this.#onError(err, event);
      }
    }
  }
}
