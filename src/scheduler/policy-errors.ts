import type { Clock } from '../clock.js';
import { describeError } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { PolicyRuntime } from '../rotation/context.js';

/** Waits after consecutive failures of one policy (store down, a run that threw). */
const ERROR_BACKOFF_MS = [5_000, 30_000, 120_000, 600_000];
/** Consecutive failures after which a person is told, once per outage. */
const ALERT_AFTER_FAILURES = 2;

interface Failing {
  until: number;
  failures: number;
  alerted: boolean;
}

/**
 * The scheduler's memory of policies it cannot process: when to look again (exponential, so a
 * store outage is neither hammered nor forgotten), metrics that say so at once, and one alert per
 * outage sent from memory, because the store that would record a needs-attention is the thing down.
 */
export class PolicyErrors {
  readonly #failing = new Map<string, Failing>();
  constructor(private readonly deps: { clock: Clock; logger: Logger; metrics?: Metrics | undefined }) {}

  /** Epoch ms before which the policy is left alone, if it is backing off. */
  backingOffUntil(name: string, now: number): number | undefined {
    const until = this.#failing.get(name)?.until;
    return until !== undefined && until > now ? until : undefined;
  }

  /** Records a failure; returns when to look again. */
  record(policy: PolicyRuntime, error: unknown): number {
    const { clock, logger, metrics } = this.deps;
    const previous = this.#failing.get(policy.name);
    const failures = (previous?.failures ?? 0) + 1;
    const delay = ERROR_BACKOFF_MS[Math.min(failures, ERROR_BACKOFF_MS.length) - 1] ?? 600_000;
    const until = clock.now() + delay;
    const described = describeError(error);
    const alert = failures >= ALERT_AFTER_FAILURES && !previous?.alerted;
    this.#failing.set(policy.name, { until, failures, alerted: alert || (previous?.alerted ?? false) });
    metrics?.policyUnreachable(policy.name);
    logger.error({ policy: policy.name, error: described, failures, retryInMs: delay }, 'Policy could not be processed');
    if (alert) {
      void policy
        .notify({
          type: 'needs-attention',
          code: described.code,
          message: `rotad cannot process this policy (${failures} attempts in a row): ${described.message}. Rotations resume by themselves when it recovers; rotad retries at growing intervals up to 10m.`,
        })
        .catch(() => undefined);
    }
    return until;
  }

  /** The policy was processed: forget its failures (and say so, after an outage). */
  clear(name: string): void {
    const previous = this.#failing.get(name);
    if (!previous) return;
    this.#failing.delete(name);
    this.deps.logger.info({ policy: name, failures: previous.failures }, 'Policy can be processed again');
  }
}
