import { isRetryable, StoreConflictError } from '../errors.js';
import type { PolicyState } from '../policy-state.js';
import { recordRetryDelay } from './state-record.js';
import type { PolicyRef, PolicySnapshot, Store } from './types.js';

/**
 * The one way state is written outside the engine's ownership (the engine writes through its
 * lease, rotation/lease.ts): on the snapshot it was decided on, or not at all. A lint rule keeps
 * every other `writeState` call out of src (eslint.config.mjs).
 */
interface StateTarget {
  store: Store;
  ref: PolicyRef;
}

/** Writes `state` on `snapshot`: the snapshot as written, or undefined when the state changed since it was read (a conflict). Other errors throw. */
export async function writeOnSnapshot(target: StateTarget, snapshot: PolicySnapshot, state: PolicyState): Promise<PolicySnapshot | undefined> {
  try {
    return { ...snapshot, state, revision: await target.store.writeState(target.ref, state, snapshot.revision) };
  } catch (error) {
    if (error instanceof StoreConflictError) return undefined;
    throw error;
  }
}

interface UpdateOptions {
  /** Tries in all; a conflict after the last one is thrown, or answered with the last snapshot when `onLastConflict` says so. */
  attempts: number;
  /** Of those, how many may end in an error that may pass (a 5xx, a timeout): tried again the same way. Default: none. */
  transientAttempts?: number;
  /** Waits between tries (a backoff); default: none. */
  pause?: (attempt: number) => Promise<void>;
  /** The snapshot to change first, instead of a fresh read. */
  from?: PolicySnapshot;
  /**
   * 'throw' (default): a conflict after the last try, or a write that fails, throws. 'give-up': they
   * resolve with the last snapshot read, unchanged (for a write that may as well happen later).
   * An error reading the state throws either way.
   */
  onFailedWrite?: 'throw' | 'give-up';
}

/**
 * Read, change, write on what was read; on a lost race read again. `change` returns undefined to
 * leave the state as it is (the reason for the change has gone: a rotation moved on, another
 * replica did it). Resolves with the snapshot as it now stands.
 */
export async function updateState(
  target: StateTarget,
  change: (snapshot: PolicySnapshot) => PolicyState | undefined,
  options: UpdateOptions,
): Promise<PolicySnapshot> {
  let snapshot = options.from ?? (await target.store.read(target.ref));
  for (let attempt = 1; ; attempt += 1) {
    const next = change(snapshot);
    if (next === undefined) return snapshot;
    try {
      const written = await writeOnSnapshot(target, snapshot, next);
      if (written) return written;
      if (attempt >= options.attempts) {
        if (options.onFailedWrite === 'give-up') return snapshot;
        throw new StoreConflictError(`state of policy ${target.ref.name} kept changing: ${attempt} writes lost their race`);
      }
    } catch (error) {
      if (options.onFailedWrite === 'give-up') return snapshot;
      if (!isRetryable(error) || attempt >= Math.min(options.attempts, options.transientAttempts ?? 0)) throw error;
    }
    await options.pause?.(attempt);
    snapshot = await target.store.read(target.ref);
  }
}

/** The pause between tries of a command's write: the engine's record backoff, with jitter. */
export function backoffPause(sleep: (ms: number) => Promise<void>, random?: () => number): (attempt: number) => Promise<void> {
  return (attempt) => sleep(recordRetryDelay(attempt, random));
}
