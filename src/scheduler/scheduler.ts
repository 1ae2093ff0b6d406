import { checkAlerts, type AlertCheck } from '../alerts/expiry.js';
import { sendDueAlerts } from '../alerts/send-alerts.js';
import { deliverRollbackNotices } from '../rotation/rollback-notices.js';
import { writeOnSnapshot } from '../stores/state-writes.js';
import { leaseOfOther } from '../rotation/lease.js';
import { PolicyErrors } from './policy-errors.js';
import { describeError } from '../errors.js';

/** What one look at a policy decided: when to look again, and whether to run it now on what was read. */
interface Look {
  wakeAt?: number | undefined;
  launch?: { trigger: Trigger; basis: PolicySnapshot } | undefined;
}
import type { Metrics } from '../observability/metrics.js';
import type { PolicyRuntime } from '../rotation/context.js';
import type { PolicySnapshot } from '../stores/types.js';
import type { Logger } from '../observability/logger.js';
import { runRotation, type RunOutcome } from '../rotation/engine.js';
import { revokeLeftBehind } from '../rotation/stage.js';
import type { Trigger } from '../policy-state.js';
import type { Clock } from '../clock.js';
import { nextDue, windowOffset, type DueReason } from '../timing/next-run.js';
import { timersOf, type SchedulerTimers } from './scheduler-timers.js';

/** Longest sleep of the timer (a pass that reads nothing unless something is due): clock jumps are noticed within it. */
const MAX_SLEEP_MS = 60_000;
/** Default of `rescanEvery`: the longest time between two reads of a policy that is not due. */
const DEFAULT_RESCAN_MS = 15 * 60_000;
/** Default of `signalWindow`: a signal is served by a requested rotation that started at most this long before it. */
const DEFAULT_SIGNAL_WINDOW_MS = 10_000;
/** A run that found the policy moved on by another writer looks again after this (when no lease says longer). */
const BUSY_RETRY_MS = 1_000;

const TRIGGER_BY_REASON: Record<DueReason, Trigger> = {
  initial: 'initial',
  schedule: 'schedule',
  'max-age': 'max-age',
  expiry: 'expiry',
  requested: 'cli',
  resume: 'resume',
  grace: 'resume',
  'waiting-for-person': 'resume',
};

interface SchedulerOptions {
  concurrency: number;
  clock: Clock;
  logger: Logger;
  metrics?: Metrics | undefined;
  /** Called after each run, for tests and metrics. */
  onOutcome?: (policy: string, outcome: RunOutcome | { status: 'error'; code: string }) => void;
  /** Default: timers on `clock`. */
  timers?: SchedulerTimers | undefined;
  /** `daemon.rescanEvery`: a policy that is not due is read at least this often (default 15 min, at least 1 s). */
  rescanMs?: number | undefined;
  /** `daemon.signalWindow`: a signal is served by a requested rotation that started at most this long before it (default 10 s). */
  signalWindowMs?: number | undefined;
  /** Sees every policy as each look reads it (the daemon indexes its credentials' fingerprints for leak reports). */
  observeSnapshot?: ((policy: string, snapshot: PolicySnapshot) => void) | undefined;
  /**
   * `daemon.sharding`: which policies this replica serves. The others are read only every
   * `rescanEvery` (their metrics, the leak index, a safety net), never by a full pass.
   */
  shard?: { owns(policy: string): boolean; announceWake(): void } | undefined;
}

/**
 * Decides what runs when. All calendar maths is `nextDue` on persisted state; this class only
 * owns the timer, the concurrency limit and the "never two runs of one policy" rule.
 *
 * Each look at a policy says when the next one is needed (it falls due, an alert, a lease running
 * out, a person's deadline), capped by `rescanEvery` so that others' changes are seen; a pass reads
 * only the policies whose time has come, so an idle daemon reads each policy about once per
 * `rescanEvery`, not once per pass. A full pass (start, reload, a CLI command's wake-up) reads all.
 */
export class Scheduler {
  /** The policies of the config of the moment (a reload swaps them). */
  #policies: ReadonlyMap<string, PolicyRuntime>;
  readonly #options: SchedulerOptions;
  readonly #running = new Map<string, { done: Promise<void>; abort: AbortController; group?: string | undefined }>();
  /** Policies asked for by SIGUSR2 (with when) and not yet recorded as a request in the store. */
  readonly #signalled = new Map<string, number>();
  readonly #signalWindowMs: number;
  /** The other holder each policy was last seen waiting for (said once). */
  readonly #leaseWaits = new Map<string, string>();
  readonly #errors: PolicyErrors;
  /** Policies another writer holds (or just moved on): not looked at before the given time. */
  readonly #notBefore = new Map<string, number>();
  readonly #timers: SchedulerTimers;
  #timer: unknown;
  #ticking = false;
  #again = false;
  #stopped = false;
  #lookAtWaiting = false;
  /** Callers of `settled()` waiting for the scheduler to have nothing to do until its timer fires. */
  #settledWaiters: Array<() => void> = [];
  /** Policies the next pass looks at first (signalled, or requested through the API): they start without waiting for the rest. */
  readonly #first = new Set<string>();
  /** The next pass reads every policy, due or not. */
  #full = true;
  /** When each policy needs its next look; a policy not in it is looked at by the next pass. */
  readonly #nextLook = new Map<string, number>();
  /** What a rotation of this process that just completed left in the store: the next look starts from it instead of reading. */
  readonly #leftBy = new Map<string, PolicySnapshot>();
  /** Policies whose last look found a rotation waiting for a person (SIGUSR2 makes them look for a hand-over). */
  readonly #waitingForPerson = new Set<string>();
  readonly #rescanMs: number;

  constructor(policies: ReadonlyMap<string, PolicyRuntime>, options: SchedulerOptions) {
    this.#policies = policies;
    this.#options = options;
    this.#timers = options.timers ?? timersOf(options.clock);
    this.#errors = new PolicyErrors(options);
    this.#rescanMs = Math.max(1_000, options.rescanMs ?? DEFAULT_RESCAN_MS);
    this.#signalWindowMs = options.signalWindowMs ?? DEFAULT_SIGNAL_WINDOW_MS;
  }

  get policies(): ReadonlyMap<string, PolicyRuntime> {
    return this.#policies;
  }

  start(): void {
    void this.wake(undefined);
  }

  /**
   * SIGUSR2: every policy with rotateOnSignal is asked to rotate, as `rotad rotate` would: the
   * request is recorded in the store, so several replicas signalled at once serve it once; a
   * rotation in progress, or a requested one that started after the signal or at most 10 s before
   * it, serves it. Manual requests are picked up too, and rotations
   * waiting for a person look at once for a token written to the store's handover slot.
   */
  signalRotation(): string[] {
    const names = [...this.#policies.values()].filter(({ settings }) => settings.rotateOnSignal && !settings.suspended).map((p) => p.name);
    for (const name of names) {
      // A rotation of this replica in flight serves the signal.
      if (!this.#running.has(name)) this.#signalled.set(name, this.#options.clock.now());
    }
    this.#lookAtWaiting = true;
    void this.wake([...names, ...this.#waitingForPerson]);
    return names;
  }

  /** SIGHUP with a valid config: runs already started finish on the old adapters. */
  replacePolicies(policies: ReadonlyMap<string, PolicyRuntime>): void {
    this.#policies = policies;
    void this.wake(undefined);
  }

  /**
   * A pass over every policy this replica serves, and the other replicas asked for theirs (a request
   * for many policies was recorded in the store).
   */
  wakeFleet(): Promise<void> {
    this.#options.shard?.announceWake();
    return this.wake();
  }

  /**
   * A pass now: `first` are read before anything else, then whatever is due. Without `first`
   * (start, reload, a CLI command's wake-up), every policy is read. Concurrent calls coalesce into
   * one more pass.
   */
  async wake(first?: readonly string[]): Promise<void> {
    if (this.#stopped) return;
    if (first === undefined) this.#full = true;
    for (const name of first ?? []) this.#first.add(name);
    if (this.#ticking) {
      this.#again = true;
      return;
    }
    this.#ticking = true;
    try {
      do {
        this.#again = false;
        await this.#pass();
      } while (this.#again && !this.#stopped);
    } finally {
      this.#ticking = false;
      this.#notifyIfSettled();
    }
  }

  /**
   * Resolves once no pass is running and no rotation is in flight: what happens next waits for the
   * timer (or a signal). Tests wait on this instead of sleeping for a fixed time.
   */
  settled(): Promise<void> {
    return new Promise((resolve) => {
      this.#settledWaiters.push(resolve);
      this.#notifyIfSettled();
    });
  }

  #notifyIfSettled(): void {
    if (this.#ticking || this.#running.size > 0) return;
    const waiters = this.#settledWaiters;
    this.#settledWaiters = [];
    for (const resolve of waiters) resolve();
  }

  async #pass(): Promise<void> {
    this.#timers.clear(this.#timer);
    const { clock } = this.#options;
    let earliest = clock.now() + MAX_SLEEP_MS;
    const lookAtWaiting = this.#lookAtWaiting;
    this.#lookAtWaiting = false;
    const full = this.#full;
    this.#full = false;
    const policies = this.#policies;
    const first = new Set([...this.#first].filter((name) => policies.has(name)));
    this.#first.clear();
    const order = first.size === 0 ? policies.keys() : new Set([...first, ...policies.keys()]);
    const shard = this.#options.shard;
    for (const name of order) {
      const policy = policies.get(name)!;
      if (this.#running.has(name)) continue;
      // Served by another replica (sharding): read on the rescan cadence only, unless named.
      const mine = first.has(name) || (shard?.owns(name) ?? true);
      // Every slot taken: the rest are read when a run ends (its end starts a pass), not read now and
      // deferred. What this pass was to read anyway (a full pass) stays due for that next pass.
      if ((this.#running.size >= this.#options.concurrency || this.#groupFull(policy)) && !first.has(name)) {
        if (full && mine) this.#nextLook.delete(name);
        continue;
      }
      let lookAt = (full && mine) || first.has(name) ? undefined : this.#nextLook.get(name);
      if (lookAt === undefined && !mine) {
        lookAt = clock.now() + windowOffset(name, this.#rescanMs);
        this.#nextLook.set(name, lookAt);
      }
      if (lookAt !== undefined && lookAt > clock.now()) {
        earliest = Math.min(earliest, lookAt);
        continue;
      }
      // A wake-up that names the policy (a hand-over released its claim, a command) looks past another holder's lease at once.
      const wait = this.#errors.backingOffUntil(name, clock.now()) ?? (first.has(name) ? undefined : this.#notBefore.get(name));
      if (wait !== undefined && wait > clock.now()) {
        earliest = Math.min(earliest, wait);
        continue;
      }
      this.#notBefore.delete(name);
      let look: Look;
      try {
        look = await this.#look(policy, lookAtWaiting);
        this.#errors.clear(name);
      } catch (error) {
        const retryAt = this.#errors.record(policy, error);
        this.#nextLook.set(name, retryAt);
        earliest = Math.min(earliest, retryAt);
        continue;
      }
      // Rescans of a fleet read at one start are spread over the last half of the interval (a fixed
      // offset per name), so that they do not all come due in the same second.
      const rescanAt = clock.now() + this.#rescanMs - windowOffset(name, this.#rescanMs / 2);
      const nextLook = mine ? Math.min(look.wakeAt ?? Infinity, rescanAt) : rescanAt;
      this.#nextLook.set(name, nextLook);
      earliest = Math.min(earliest, nextLook);
      if (look.launch === undefined) continue;
      if (this.#running.size >= this.#options.concurrency || this.#groupFull(policy)) {
        this.#options.logger.debug({ policy: name }, 'Concurrency limit reached, rotation deferred');
        this.#nextLook.delete(name); // looked at again when a run ends
        continue;
      }
      this.#launch(name, look.launch.trigger, look.launch.basis);
    }
    if (!this.#stopped) this.#timer = this.#timers.set(() => void this.wake(), Math.max(0, earliest - clock.now()));
  }

  /** Whether as many rotations of the policy's provider type run as `daemon.providerLimits` allows. */
  #groupFull(policy: PolicyRuntime): boolean {
    const slots = policy.providerSlots;
    if (slots === undefined) return false;
    let running = 0;
    for (const run of this.#running.values()) if (run.group === slots.group) running += 1;
    return running >= slots.limit;
  }

  /** Reads one policy, exports its metrics, sends due alerts, and decides whether it runs now. */
  async #look(policy: PolicyRuntime, lookAtWaiting: boolean): Promise<Look> {
    const config = policy.settings;
    const now = this.#options.clock.now();
    const left = this.#leftBy.get(policy.name);
    this.#leftBy.delete(policy.name);
    let snapshot = left ?? (await policy.store.read(policy.ref));
    this.#options.observeSnapshot?.(policy.name, snapshot);
    await revokeLeftBehind(policy, snapshot, now);
    if (snapshot.state.assist) this.#waitingForPerson.add(policy.name);
    else this.#waitingForPerson.delete(policy.name);
    const held = leaseOfOther(snapshot.state, policy.owner, now, policy.leftOverLease);
    let due = nextDue(config.timing, snapshot.state, now, snapshot.current);
    let alerts: AlertCheck;
    if (held) {
      alerts = checkAlerts(config, snapshot, now);
    } else {
      snapshot = await deliverRollbackNotices(policy, snapshot, now);
      ({ check: alerts, snapshot } = await sendDueAlerts(policy, config, snapshot, now));
    }
    this.#options.metrics?.observePolicy(policy.name, {
      expiresAt: alerts.expiresAt,
      nextRotationAt: config.suspended ? undefined : due?.at,
      nextReason: due?.reason,
      lastSuccessAt: snapshot.state.lastRotatedAt,
      phase: snapshot.state.phase,
      needsAttention: snapshot.state.attention !== undefined,
      ready:
        snapshot.current !== undefined &&
        !alerts.overdue &&
        snapshot.state.attention === undefined &&
        (alerts.expiresAt === undefined || alerts.expiresAt > now),
    });
    const wakeAt = Math.min(alerts.nextCheckAt ?? Infinity, held?.until ?? Infinity);
    // Suspended: alerts and metrics go on; nothing starts or resumes, and a signal is not recorded.
    if (config.suspended) {
      this.#signalled.delete(policy.name);
      return { wakeAt };
    }
    this.#sayLeaseWait(policy, held);
    // Another writer works on it: its lease says when to look again; a signal is served by that rotation.
    if (held) {
      if (this.#signalled.delete(policy.name)) this.#signalAbsorbed(policy, snapshot, false, now);
      return { wakeAt };
    }
    let trigger: Trigger | undefined;
    const signalledAt = this.#signalled.get(policy.name);
    if (signalledAt !== undefined) {
      // Served already by a requested rotation that started after it, or just before it: the same
      // request reaching several replicas, or a signal following `rotad rotate`, rotates once.
      const served = (snapshot.state.lastRequestedStartAt ?? -Infinity) >= signalledAt - this.#signalWindowMs;
      if (snapshot.state.phase === 'idle' && snapshot.state.requestedAt === undefined && !served) {
        // Forgotten only once recorded: a store error here (busy, down) keeps the signal for the next look.
        const recorded = await this.#recordSignal(policy, snapshot, now);
        // Someone else wrote meanwhile (perhaps a rotation this read was too old to see): decided again on a fresh read.
        if (recorded === undefined) return { wakeAt: now };
        snapshot = recorded;
        due = nextDue(config.timing, snapshot.state, now, snapshot.current);
        trigger = 'signal';
      } else {
        this.#signalAbsorbed(policy, snapshot, served, now);
      }
      this.#signalled.delete(policy.name);
    }
    if (due && due.at <= now) trigger ??= TRIGGER_BY_REASON[due.reason];
    else if (lookAtWaiting && snapshot.state.assist && snapshot.state.attention === undefined) trigger = 'resume';
    if (trigger !== undefined) return { wakeAt, launch: { trigger, basis: snapshot } };
    return { wakeAt: Math.min(wakeAt, due?.at ?? Infinity) };
  }

  /**
   * Says once per holder that a policy waits for another holder's lease, and until when (a daemon
   * killed mid-rotation holds it until then; `rotad status` shows the same).
   */
  #sayLeaseWait(policy: PolicyRuntime, held: { owner: string; until: number } | undefined): void {
    if (held === undefined) {
      this.#leaseWaits.delete(policy.name);
      return;
    }
    if (this.#leaseWaits.get(policy.name) === held.owner) return;
    this.#leaseWaits.set(policy.name, held.owner);
    policy.logger.info(
      { holder: held.owner, until: new Date(held.until).toISOString() },
      'Waiting for another holder of the policy: its lease runs until then',
    );
  }

  /** A signal that starts nothing, said and counted: a rotation runs, a request waits, or a requested rotation just started. */
  #signalAbsorbed(policy: PolicyRuntime, snapshot: PolicySnapshot, served: boolean, now: number): void {
    const { state } = snapshot;
    const reason = state.phase !== 'idle' ? 'in-progress' : state.requestedAt !== undefined ? 'requested' : served ? 'served' : 'requested';
    const startedAt = reason === 'in-progress' ? state.startedAt : reason === 'served' ? state.lastRequestedStartAt : state.requestedAt;
    const rotation = reason === 'in-progress' ? state.rotationId : reason === 'served' ? state.lastRotationId : undefined;
    const ago = startedAt === undefined ? undefined : `${((now - startedAt) / 1000).toFixed(1)}s`;
    policy.logger.info({ reason, rotation, ago, windowMs: this.#signalWindowMs }, 'Signal absorbed: not rotated again');
    this.#options.metrics?.signalAbsorbed(policy.name, reason);
  }

  /** Records a signal as a request in the store, so that other replicas see it served once; undefined when the state changed since `snapshot`. */
  #recordSignal(policy: PolicyRuntime, snapshot: PolicySnapshot, now: number): Promise<PolicySnapshot | undefined> {
    return writeOnSnapshot(policy, snapshot, { ...snapshot.state, requestedAt: now });
  }

  #launch(name: string, trigger: Trigger, basis: PolicySnapshot): void {
    const policy = this.#policies.get(name);
    if (!policy) return;
    const abort = new AbortController();
    const done = runRotation(policy, trigger, abort.signal, basis)
      .then(
        (outcome) => {
          this.#errors.clear(name);
          if (outcome.status === 'completed') this.#leftBy.set(name, outcome.after);
          if (outcome.status === 'busy') this.#notBefore.set(name, Math.max(outcome.until ?? 0, this.#options.clock.now() + BUSY_RETRY_MS));
          this.#options.metrics?.rotationOutcome(
            name,
            outcome.status === 'completed' ? 'succeeded' : outcome.status,
            outcome.status === 'completed' ? outcome.durationMs : undefined,
          );
          this.#options.onOutcome?.(name, outcome);
        },
        (error: unknown) => {
          this.#errors.record(policy, error);
          this.#options.metrics?.rotationOutcome(name, 'error');
          this.#options.onOutcome?.(name, { status: 'error', code: describeError(error).code });
        },
      )
      .finally(() => {
        this.#running.delete(name);
        this.#nextLook.delete(name);
        void this.wake([]);
        this.#notifyIfSettled();
      });
    this.#running.set(name, { done, abort, group: policy.providerSlots?.group });
  }

  /** Stops scheduling and asks in-flight rotations to stop at the next safe point; waits at most `timeoutMs`. */
  async stop(timeoutMs: number): Promise<boolean> {
    this.#stopped = true;
    this.#timers.clear(this.#timer);
    for (const { abort } of this.#running.values()) abort.abort(new Error('shutting down'));
    const all = Promise.allSettled([...this.#running.values()].map((r) => r.done)).then(() => true);
    let timer: unknown;
    const timeout = new Promise<boolean>((resolve) => {
      timer = this.#timers.set(() => resolve(false), timeoutMs);
    });
    const drained = await Promise.race([all, timeout]);
    this.#timers.clear(timer);
    return drained;
  }

  get inFlight(): string[] {
    return [...this.#running.keys()];
  }
}
