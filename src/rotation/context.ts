import type { Clock } from '../clock.js';
import type { Consumer, Peers } from '../consumers/types.js';
import type { RotationEvent } from '../notifiers/types.js';
import type { Logger } from '../observability/logger.js';
import type { Provider } from '../providers/types.js';
import type { PolicyRef, Store, StoredCredential } from '../stores/types.js';
import type { AuditTrail } from '../observability/audit.js';
import type { PolicySettings } from '../timing/policy-settings.js';
import type { RetryPolicy } from './retry.js';
import type { Phase, PolicyState } from '../policy-state.js';

/** A consumer with the stable key under which its confirmation is recorded. */
interface KeyedConsumer {
  key: string;
  consumer: Consumer;
}

/** Test-only fault injection: called at each phase boundary (see daemon/faults.ts). */
export type FaultHook = (moment: 'before' | 'after', phase: Phase) => void;

/** A credential the provider created that the store has not confirmed holding (stage.ts). */
interface Unstaged {
  credential?: StoredCredential | undefined;
  /** Its revoke has begun: it is never staged again. */
  revoking?: boolean;
}

/** Everything the engine needs for one policy. */
export interface PolicyRuntime {
  name: string;
  /** The policy as its store knows it (name, path, field). */
  ref: PolicyRef;
  /**
   * The policy's settings as loaded, without its adapters' options: the one object per policy that
   * the scheduler, the alerts and status read too. The engine reads `graceMs`, `assist` (pacing of requests to a person) and
   * `timing.maxAgeMs` (age limit of a credential, for deadlines of assisted rotations).
   */
  settings: PolicySettings;
  store: Store;
  provider: Provider;
  consumers: readonly KeyedConsumer[];
  /** Other policies and stores of the same config, for consumers that need them. */
  peers?: Peers | undefined;
  notify: (event: Omit<RotationEvent, 'at' | 'policy'>) => Promise<void>;
  logger: Logger;
  clock: Clock;
  retry: RetryPolicy;
  faults?: FaultHook | undefined;
  /**
   * This process's memory of a credential created but not confirmed staged, kept across runs: a run
   * that ends while the store is down leaves it here, and the next run stages it instead of
   * creating another (or revokes it, if the rotation went on without it). Default: per run.
   */
  unstaged?: Unstaged | undefined;
  /** This process as a lease holder (lease.ts); one per daemon start or CLI command. */
  owner: string;
  /** Holders whose leases on this policy cannot be live (lease.ts, leftByOtherDaemon): set for a daemon on a file store it claimed. */
  leftOverLease?: ((holder: string) => boolean) | undefined;
  /**
   * The lease check of the engine or command working on the policy (renews the lease once half of
   * it has passed; throws when another writer took the policy): set while a step runs, so a
   * consumer's long wait (a rollout) keeps the policy rather than outlasting its lease.
   */
  holdLease?: (() => Promise<void>) | undefined;
  /** Lease length in ms (`daemon.lease`). */
  leaseMs: number;
  /** Source of randomness for rotation ids and retry jitter; default crypto/Math.random (the simulation seeds it). */
  random?: (() => number) | undefined;
  /** The config file the daemon runs on, as given: requests to a person name it in `rotad submit -c`. */
  configPath?: string | undefined;
  /** daemon.api.publicUrl: requests for a token carry a one-time hand-over link under it. */
  handoverUrl?: string | undefined;
  /** Where each phase is recorded (the daemon's audit trail); absent for one-shot commands. */
  audit?: AuditTrail | undefined;
  /** Ended rotations the store's history keeps (`daemon.historyKeep`); default 100. */
  historyKeep?: number | undefined;
  /** `daemon.providerLimits.<type>.concurrency`: rotations of the policy's provider type at once (the scheduler keeps it). */
  providerSlots?: { group: string; limit: number } | undefined;
}

/**
 * The policy's credentials as one run of the engine knows them: read once when the run starts
 * (before its claim, which is a compare-and-swap on that same read), then kept up to date by the
 * run's own store calls. While the run holds the lease no other rotad changes them, so a step
 * looks here instead of asking the store again.
 */
export interface KnownCredentials {
  current?: StoredCredential | undefined;
  previous?: StoredCredential | undefined;
  pending?: StoredCredential | undefined;
}

/** What a step sees: the policy, the rotation's state, and a way to save progress inside the step. */
export interface StepContext {
  runtime: PolicyRuntime;
  state: PolicyState;
  /** The credentials as this run knows them; steps that change them in the store change them here too. */
  known: KnownCredentials;
  rotationId: string;
  logger: Logger;
  signal: AbortSignal;
  /** A credential created but not confirmed staged yet (stage.ts); see PolicyRuntime.unstaged. */
  unstaged: Unstaged;
  /** Persists a change to the state in the middle of a step (e.g. one consumer confirmed). */
  save: (patch: Partial<PolicyState>) => Promise<PolicyState>;
}

/**
 * A step either moves the rotation on (a state patch, including the next phase, and the credential
 * it handled, for the audit trail) or asks to wait.
 */
export type StepResult = { patch: Partial<PolicyState>; subject?: StoredCredential | undefined } | { waitUntil: number };
