import { z } from 'zod';
import { StoreConflictError } from '../errors.js';
import type { PolicyState } from '../policy-state.js';

/**
 * Shared by the stores that keep rotad's bookkeeping in a record of their own (vault,
 * aws-secrets-manager): the non-secret facts of a credential, and the pure record changes that
 * both apply through their own compare-and-swap.
 */
export const CredentialFacts = z.object({
  rotationId: z.string(),
  createdAt: z.number(),
  id: z.string().optional(),
  expiresAt: z.number().optional(),
  revokedAt: z.number().optional(),
});

interface BookkeepingRecord {
  state: PolicyState;
  stateRevision: number;
  current?: { rotationId: string } | undefined;
  previous?: { revokedAt?: number | undefined } | undefined;
}

/** Attempts of one record read-modify-write when other writers keep winning the compare-and-swap. */
const RECORD_WRITE_ATTEMPTS = 8;

/**
 * The pause before attempt `attempt` + 1 of a record write that lost its compare-and-swap: short,
 * growing and jittered, so that writers racing for one record (replicas, a CLI command) spread out
 * instead of colliding again in lock-step.
 */
export function recordRetryDelay(attempt: number, random: () => number = Math.random): number {
  return Math.round(10 * 2 ** Math.min(attempt, 6) * (0.5 + random()));
}

/** The change behind Store.writeState: replaces the state if the revision still matches. */
export function replaceState<R extends BookkeepingRecord>(policy: string, state: PolicyState, expectedRevision: string): (record: R) => R {
  return (record) => {
    if (String(record.stateRevision) !== expectedRevision) {
      throw new StoreConflictError(`state of policy ${policy} changed since it was read (revision ${record.stateRevision}, expected ${expectedRevision})`);
    }
    return { ...record, state, stateRevision: record.stateRevision + 1 };
  };
}

/** The change behind Store.markPreviousRevoked; undefined when there is nothing to record. */
export function previousRevoked<R extends BookkeepingRecord>(rotationId: string, at: number): (record: R) => R | undefined {
  return (record) =>
    record.current?.rotationId === rotationId && record.previous && record.previous.revokedAt === undefined
      ? { ...record, previous: { ...record.previous, revokedAt: at } }
      : undefined;
}

/**
 * The bookkeeping record of each policy as this process last read or wrote it, with the store's
 * version of it: the first try of a read-modify-write applies its change here instead of reading,
 * and the store's compare-and-swap on that version decides whether the guess was right. Taken
 * entries are forgotten, so a failed or ambiguous write is never retried on a guess.
 */
class LastSeenRecords<R, V = number> {
  readonly #entries = new Map<string, { record: R; kvVersion: V }>();

  remember<E extends { record: R; kvVersion: V }>(key: string, entry: E): E {
    this.#entries.set(key, entry);
    return entry;
  }

  take(key: string): { record: R; kvVersion: V } | undefined {
    const entry = this.#entries.get(key);
    this.#entries.delete(key);
    return entry;
  }
}

/**
 * Applies a record change. On a record guessed from memory (`guessed`), an outcome that writes
 * nothing or refuses (a conflict) may come from the guess being stale, so it is decided again on a
 * fresh read; only a write is tried, and its compare-and-swap checks the guess.
 */
function decideChange<R>(record: R, change: (record: R) => R | undefined, guessed: boolean): { next: R | undefined } | 'read-again' {
  let next: R | undefined;
  try {
    next = change(record);
  } catch (error) {
    if (guessed && error instanceof StoreConflictError) return 'read-again';
    throw error;
  }
  if (guessed && next === undefined) return 'read-again';
  return { next };
}

/** How a store reads and writes its bookkeeping record of a policy (the key names it). */
export interface RecordIo<R, V> {
  /** The record and the store's version of it; a missing record is the empty one. */
  read(key: string): Promise<{ record: R; kvVersion: V }>;
  /**
   * Writes `next` only if the store's version is still `kvVersion`, else throws StoreConflictError.
   * Returns the version written, or undefined when the store does not say (nothing is guessed then).
   */
  write(key: string, next: R, kvVersion: V): Promise<{ kvVersion: V } | undefined>;
}

/**
 * Read-modify-write of bookkeeping records under the store's compare-and-swap; `change` returning
 * undefined writes nothing. The first try applies the change to the record as this process last
 * read or wrote it, without reading (one request instead of two); the compare-and-swap on that
 * version makes it land only if nobody wrote since, and anything else is decided again on a fresh
 * read. A lost race is re-applied to what the other writer wrote (the change re-checks its
 * preconditions), after a short jittered pause.
 */
export class CasRecords<R, V> {
  readonly #io: RecordIo<R, V>;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #lastSeen = new LastSeenRecords<R, V>();

  constructor(io: RecordIo<R, V>, sleep: (ms: number) => Promise<void>) {
    this.#io = io;
    this.#sleep = sleep;
  }

  async read(key: string): Promise<{ record: R; kvVersion: V }> {
    return this.#lastSeen.remember(key, await this.#io.read(key));
  }

  async update(key: string, change: (record: R) => R | undefined): Promise<R> {
    for (let attempt = 1; ; attempt += 1) {
      const seen = attempt === 1 ? this.#lastSeen.take(key) : undefined;
      const { record, kvVersion } = seen ?? (await this.read(key));
      const decided = decideChange(record, change, seen !== undefined);
      if (decided === 'read-again') continue;
      const { next } = decided;
      if (next === undefined) return record;
      try {
        const written = await this.#io.write(key, next, kvVersion);
        if (written) this.#lastSeen.remember(key, { record: next, kvVersion: written.kvVersion });
        return next;
      } catch (error) {
        if (!(error instanceof StoreConflictError) || attempt >= RECORD_WRITE_ATTEMPTS) throw error;
        if (seen === undefined) await this.#sleep(recordRetryDelay(attempt));
      }
    }
  }
}
