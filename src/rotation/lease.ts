import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Clock } from '../clock.js';
import { RotadError, StoreConflictError } from '../errors.js';
import type { PolicyRef, Store } from '../stores/types.js';
import type { Lease, PolicyState } from '../policy-state.js';

/**
 * A holder name for this process: unique per start (a restarted daemon, or one in a container that
 * always runs as pid 1, is a new holder), readable in `rotad status`.
 */
export function newLeaseOwner(kind = 'daemon', random?: () => number): string {
  const suffix = random
    ? Math.floor(random() * 2 ** 32)
        .toString(16)
        .padStart(8, '0')
    : randomUUID().slice(0, 8);
  return `${kind}:${hostname()}:${process.pid}:${suffix}`;
}

/**
 * The lease of another holder that is still running on `state`, if any. `leftOver` names holders
 * whose leases cannot be live whatever their time says (see PolicyRuntime.leftOverLease).
 */
export function leaseOfOther(state: PolicyState, owner: string, now: number, leftOver?: (holder: string) => boolean): Lease | undefined {
  const { lease } = state;
  return lease !== undefined && lease.owner !== owner && lease.until > now && !leftOver?.(lease.owner) ? lease : undefined;
}

/**
 * For a daemon that holds a file store's one-daemon claim: a lease of another daemon on that store
 * was left by one that stopped or died (it released or lost the claim), so it is not waited for.
 * A command's lease (`cli:`, `handover:`) is, since a command may run beside the daemon.
 */
export function leftByOtherDaemon(owner: string): (holder: string) => boolean {
  return (holder) => holder !== owner && holder.startsWith('daemon:');
}

/** Renewals one check makes before it gives up on a store that answers too late for the lease to stay fresh. */
const RENEWALS_PER_CHECK = 3;

/** The holder lost the policy: another writer changed the state since this holder's last write. */
class LeaseLostError extends StoreConflictError {}

interface OwnershipOptions {
  store: Store;
  ref: PolicyRef;
  clock: Clock;
  owner: string;
  /** Lease length in ms; renewed before a side effect once half of it has passed. */
  leaseMs: number;
}

/**
 * The one-writer rule of one rotation (docs/design.md, invariant 6). Every state write is a
 * compare-and-swap on the revision this holder last wrote, and carries the lease; writes are
 * serialised; `ensureHeld` renews the lease before side effects. A lost compare-and-swap means another
 * writer moved on: `lost` aborts, so in-flight calls stop and no further side effect starts.
 */
export class Ownership {
  readonly #options: OwnershipOptions;
  #state: PolicyState;
  #revision: string;
  #until = 0;
  #queue: Promise<unknown> = Promise.resolve();
  readonly #lost = new AbortController();

  constructor(options: OwnershipOptions, state: PolicyState, revision: string) {
    this.#options = options;
    this.#state = state;
    this.#revision = revision;
  }

  get state(): PolicyState {
    return this.#state;
  }

  /** The store's revision of the state this holder last wrote. */
  get revision(): string {
    return this.#revision;
  }

  /** Aborts when the policy is no longer this holder's. */
  get lost(): AbortSignal {
    return this.#lost.signal;
  }

  /** Writes `change(state)` with the lease renewed (or released), after any write already queued. */
  write(change: (state: PolicyState) => PolicyState, release = false): Promise<PolicyState> {
    const run = async (): Promise<PolicyState> => {
      if (this.#lost.signal.aborted) throw this.#lostError();
      const { store, ref, clock, owner, leaseMs } = this.#options;
      const startedAt = clock.now();
      const lease = release ? undefined : { owner, until: startedAt + leaseMs };
      const next = { ...change(this.#state), lease };
      try {
        this.#revision = await store.writeState(ref, next, this.#revision);
      } catch (error) {
        if (error instanceof StoreConflictError) this.#lost.abort(this.#lostError());
        throw error;
      }
      this.#state = next;
      this.#until = lease?.until ?? 0;
      return next;
    };
    const result = this.#queue.then(run, run);
    this.#queue = result.catch(() => undefined);
    return result;
  }

  /**
   * Changes the state in memory only, after any write already queued: the next write carries it.
   * For progress that need not survive a crash because redoing it is harmless (a phase whose
   * step the protocol can run again), so that a rotation writes its state once per thing that
   * must be durable, not once per phase.
   */
  async defer(change: (state: PolicyState) => PolicyState): Promise<PolicyState> {
    const apply = (): PolicyState => {
      if (this.#lost.signal.aborted) throw this.#lostError();
      this.#state = { ...change(this.#state), lease: this.#state.lease };
      return this.#state;
    };
    const result = this.#queue.then(apply, apply);
    this.#queue = result.catch(() => undefined);
    return result;
  }

  /**
   * Called before every side effect: the lease must be this holder's, with at least half of it to
   * run; past half, it is renewed first (a compare-and-swap, so a writer that lost the policy
   * learns it here). Every call rotad makes has a timeout shorter than half a lease, so a side
   * effect started now lands before anyone else may take the policy over.
   */
  async ensureHeld(): Promise<void> {
    const { clock, leaseMs } = this.#options;
    // A renewal whose answer came late (the process paused, the store was slow) is not trusted:
    // the lease it wrote may have run out meanwhile, so it is renewed again, which fails if anyone took over.
    for (let renewals = 0; ; renewals += 1) {
      if (this.#lost.signal.aborted) throw this.#lostError();
      if (clock.now() <= this.#until - leaseMs / 2) return;
      if (renewals >= RENEWALS_PER_CHECK) {
        throw new RotadError(
          'STORE_UNREACHABLE',
          `renewing the lease on policy ${this.#options.ref.name} takes longer than half a lease; no step starts until it does not`,
          {
            retryable: true,
          },
        );
      }
      try {
        await this.write((state) => state);
      } catch (error) {
        if (error instanceof StoreConflictError) throw error;
        throw new RotadError('STORE_UNREACHABLE', `the lease on policy ${this.#options.ref.name} could not be renewed; no step starts until it is`, {
          cause: error,
          retryable: true,
        });
      }
    }
  }

  /**
   * Runs one call with the lease watched: when the lease runs out before the call ends (a hung
   * request, a paused process), `lost` aborts and stops it, since another rotad may hold the
   * policy by then. Renewals during the call (another step's writes) move the deadline.
   */
  async watching<T>(call: () => Promise<T>): Promise<T> {
    const { clock, ref } = this.#options;
    // A timer of the process, not a sleep on `clock`: a test clock that jumps ahead on every sleep
    // would run the lease out at once. It looks at `clock` when it fires, and waits again if renewed.
    let timer: NodeJS.Timeout | undefined;
    const arm = (): void => {
      const left = this.#until - clock.now();
      if (left <= 0) {
        this.#lost.abort(new LeaseLostError(`the lease on policy ${ref.name} ran out during a call; this one stops`));
        return;
      }
      timer = setTimeout(arm, left);
      timer.unref();
    };
    if (!this.#lost.signal.aborted) arm();
    try {
      return await call();
    } finally {
      clearTimeout(timer);
    }
  }

  #lostError(): LeaseLostError {
    return new LeaseLostError(`policy ${this.#options.ref.name} was changed by another writer; this one stops`);
  }
}
