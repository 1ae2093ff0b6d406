import { checkAlerts, type AlertCheck } from '../alerts/expiry.js';
import type { ResolvedPolicy } from '../config/normalize.js';
import { describeError, StoreConflictError } from '../errors.js';
import type { Metrics } from '../observability/metrics.js';
import type { PolicyRuntime } from '../rotation/context.js';
import type { PolicySnapshot } from '../stores/types.js';
import type { Logger } from '../observability/logger.js';
import { runRotation, type RunOutcome } from '../rotation/engine.js';
import type { Trigger } from '../rotation/state.js';
import type { Runtime } from '../runtime.js';
import type { Clock } from '../clock.js';
import { nextDue, type DueReason } from './next-run.js';

/** Longest sleep between two looks at the store: catches changes made by CLI commands and clock jumps. */
const MAX_SLEEP_MS = 60_000;
const ERROR_BACKOFF_MS = [5_000, 30_000, 120_000, 600_000];

const TRIGGER_BY_REASON: Record<DueReason, Trigger> = {
  initial: 'initial', schedule: 'schedule', 'max-age': 'max-age', requested: 'cli', resume: 'resume', grace: 'resume', 'waiting-for-person': 'resume',
};

export interface SchedulerOptions {
  concurrency: number;
  clock: Clock;
  logger: Logger;
  metrics?: Metrics | undefined;
  /** Called after each run, for tests and metrics. */
  onOutcome?: (policy: string, outcome: RunOutcome | { status: 'error'; code: string }) => void;
}

/**
 * Decides what runs when. All calendar maths is `nextDue` on persisted state; this class only
 * owns the timer, the concurrency limit and the "never two runs of one policy" rule.
 */
export class Scheduler {
  #runtime: Runtime;
  readonly #options: SchedulerOptions;
  readonly #running = new Map<string, { done: Promise<void>; abort: AbortController }>();
  readonly #signalled = new Set<string>();
  readonly #errorBackoff = new Map<string, { until: number; failures: number }>();
  #timer: NodeJS.Timeout | undefined;
  #ticking = false;
  #again = false;
  #stopped = false;
  #lookAtWaiting = false;

  constructor(runtime: Runtime, options: SchedulerOptions) {
    this.#runtime = runtime;
    this.#options = options;
  }

  get runtime(): Runtime {
    return this.#runtime;
  }

  start(): void {
    void this.wake();
  }

  /**
   * SIGUSR2: every policy with rotateOnSignal runs now; manual requests are picked up too, and
   * rotations waiting for a person look at once for a token written to the store's handover slot.
   */
  signalRotation(): string[] {
    const names = this.#runtime.config.policies.filter((p) => p.rotateOnSignal).map((p) => p.name);
    for (const name of names) this.#signalled.add(name);
    this.#lookAtWaiting = true;
    void this.wake();
    return names;
  }

  /** SIGHUP with a valid config: runs already started finish on the old adapters. */
  replaceRuntime(runtime: Runtime): void {
    this.#runtime = runtime;
    void this.wake();
  }

  /** Looks at every policy now. Concurrent calls coalesce into one more pass. */
  async wake(): Promise<void> {
    if (this.#stopped) return;
    if (this.#ticking) {
      this.#again = true;
      return;
    }
    this.#ticking = true;
    try {
      do {
        this.#again = false;
        await this.#tick();
      } while (this.#again && !this.#stopped);
    } finally {
      this.#ticking = false;
    }
  }

  async #tick(): Promise<void> {
    clearTimeout(this.#timer);
    const { clock, logger } = this.#options;
    let earliest = clock.now() + MAX_SLEEP_MS;
    const lookAtWaiting = this.#lookAtWaiting;
    this.#lookAtWaiting = false;
    for (const [name, policy] of this.#runtime.policies) {
      if (this.#running.has(name)) continue;
      const now = clock.now();
      const backoff = this.#errorBackoff.get(name);
      if (backoff && backoff.until > now) {
        earliest = Math.min(earliest, backoff.until);
        continue;
      }
      let trigger: Trigger | undefined;
      const config = this.#runtime.config.policies.find((p) => p.name === name);
      if (!config) continue;
      try {
        const snapshot = await policy.store.read(policy.ref);
        const due = nextDue(config.timing, snapshot.state, now);
        const alerts = await this.#alert(policy, config, snapshot, now);
        if (alerts.nextCheckAt !== undefined) earliest = Math.min(earliest, alerts.nextCheckAt);
        this.#options.metrics?.observePolicy(name, {
          expiresAt: alerts.expiresAt,
          nextRotationAt: due?.at,
          lastSuccessAt: snapshot.state.lastRotatedAt,
          phase: snapshot.state.phase,
          needsAttention: snapshot.state.attention !== undefined,
          ready: snapshot.current !== undefined && !alerts.overdue && snapshot.state.attention === undefined && (alerts.expiresAt === undefined || alerts.expiresAt > now),
        });
        if (this.#signalled.has(name)) trigger = snapshot.state.phase === 'idle' && snapshot.state.requestedAt === undefined ? 'signal' : due ? TRIGGER_BY_REASON[due.reason] : 'signal';
        else if (due && due.at <= now) trigger = TRIGGER_BY_REASON[due.reason];
        else if (lookAtWaiting && snapshot.state.assist && snapshot.state.attention === undefined) trigger = 'resume';
        else if (due) earliest = Math.min(earliest, due.at);
      } catch (error) {
        this.#recordError(name, error);
        continue;
      }
      this.#signalled.delete(name);
      if (trigger === undefined) continue;
      if (this.#running.size >= this.#options.concurrency) {
        logger.debug({ policy: name }, 'Concurrency limit reached, rotation deferred');
        if (trigger === 'signal') this.#signalled.add(name);
        continue;
      }
      this.#launch(name, trigger);
    }
    if (!this.#stopped) this.#timer = setTimeout(() => void this.wake(), Math.max(0, earliest - clock.now()));
  }

  /** Sends the expiry/overdue alerts that are due, recording them first so that each fires once. */
  async #alert(policy: PolicyRuntime, config: ResolvedPolicy, snapshot: PolicySnapshot, now: number): Promise<AlertCheck> {
    const check = checkAlerts(config, snapshot, now);
    if (check.events.length === 0) return check;
    try {
      await policy.store.writeState(policy.ref, { ...snapshot.state, alertsSent: check.alertsSent }, snapshot.revision);
    } catch (error) {
      if (error instanceof StoreConflictError) return { ...check, events: [] }; // someone else moved on; the next look decides again
      throw error;
    }
    for (const event of check.events) await policy.notify(event);
    return check;
  }

  #launch(name: string, trigger: Trigger): void {
    const policy = this.#runtime.policies.get(name);
    if (!policy) return;
    const abort = new AbortController();
    const done = runRotation(policy, trigger, abort.signal).then(
      (outcome) => {
        this.#errorBackoff.delete(name);
        this.#options.metrics?.rotationOutcome(name, outcome.status === 'completed' ? 'succeeded' : outcome.status, outcome.status === 'completed' ? outcome.durationMs : undefined);
        this.#options.onOutcome?.(name, outcome);
      },
      (error: unknown) => {
        this.#recordError(name, error);
        this.#options.metrics?.rotationOutcome(name, 'error');
        this.#options.onOutcome?.(name, { status: 'error', code: describeError(error).code });
      },
    ).finally(() => {
      this.#running.delete(name);
      void this.wake();
    });
    this.#running.set(name, { done, abort });
  }

  #recordError(name: string, error: unknown): void {
    const failures = (this.#errorBackoff.get(name)?.failures ?? 0) + 1;
    const delay = ERROR_BACKOFF_MS[Math.min(failures, ERROR_BACKOFF_MS.length) - 1] ?? 600_000;
    this.#errorBackoff.set(name, { until: this.#options.clock.now() + delay, failures });
    this.#options.logger.error({ policy: name, error: describeError(error), retryInMs: delay }, 'Policy could not be processed');
  }

  /** Stops scheduling and asks in-flight rotations to stop at the next safe point; waits at most `timeoutMs`. */
  async stop(timeoutMs: number): Promise<boolean> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    for (const { abort } of this.#running.values()) abort.abort(new Error('shutting down'));
    const all = Promise.allSettled([...this.#running.values()].map((r) => r.done)).then(() => true);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((resolve) => { timer = setTimeout(() => resolve(false), timeoutMs); });
    const drained = await Promise.race([all, timeout]);
    clearTimeout(timer);
    return drained;
  }

  get inFlight(): string[] {
    return [...this.#running.keys()];
  }
}
