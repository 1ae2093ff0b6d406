import type { Clock } from '../clock.js';
import { isRetryable, RotadError } from '../errors.js';

/** Bounded exponential backoff (docs/design.md, invariant 5). Spans in milliseconds. */
export interface RetryPolicy {
  /** Attempts in total, including the first. */
  attempts: number;
  initialDelayMs: number;
  maxDelayMs: number;
}

/**
 * Delay before retry number `attempt` (1 = first retry): full exponential growth capped at
 * `maxDelayMs`, with jitter in [50 %, 100 %]; a Retry-After from the remote side is a floor.
 */
function backoffDelay(attempt: number, policy: RetryPolicy, retryAfterMs: number | undefined, random: () => number = Math.random): number {
  const exponential = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** (attempt - 1));
  const jittered = Math.round(exponential * (0.5 + random() / 2));
  return Math.max(jittered, retryAfterMs ?? 0);
}

interface RetryHooks {
  clock: Clock;
  signal: AbortSignal;
  onRetry?: ((error: unknown, attempt: number, delayMs: number) => void) | undefined;
  /** Source of the jitter; default Math.random (the simulation passes a seeded one). */
  random?: (() => number) | undefined;
}

/** Runs `work`, retrying errors marked retryable; the last error is thrown after `attempts`. */
export async function withRetry<T>(work: () => Promise<T>, policy: RetryPolicy, hooks: RetryHooks): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await work();
    } catch (error) {
      if (!isRetryable(error) || attempt >= policy.attempts || hooks.signal.aborted) throw error;
      const retryAfter = error instanceof RotadError ? error.retryAfterMs : undefined;
      const delay = backoffDelay(attempt, policy, retryAfter, hooks.random);
      hooks.onRetry?.(error, attempt, delay);
      await hooks.clock.sleep(delay, hooks.signal);
    }
  }
}
