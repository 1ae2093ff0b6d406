import { describeError } from '../errors.js';
import type { Logger } from '../observability/logger.js';

/** Between two pings of a daemon that started not ready: doubling from 1 s, at most a minute. */
const FIRST_WAIT_MS = 1_000;
const LONGEST_WAIT_MS = 60_000;

/**
 * A daemon that started with a store unreachable runs, not ready. This pings until every store
 * answers and then logs "Ready", with how long it was not ready, so the log says when it became
 * ready as well as that it was not. Its timer never keeps the process alive; `stop` ends it.
 */
export function watchUntilReady(ping: () => Promise<void>, firstFailure: unknown, logger: Logger, startedAt = Date.now()): { stop(): void } {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let lastReason = describeError(firstFailure).message;
  const attempt = async (waitMs: number): Promise<void> => {
    try {
      await ping();
    } catch (error) {
      if (stopped) return;
      const reason = describeError(error).message;
      // A changed reason is news; the same one again is not.
      if (reason !== lastReason) logger.warn({ error: describeError(error) }, 'Not ready yet: a store does not answer');
      lastReason = reason;
      schedule(Math.min(waitMs * 2, LONGEST_WAIT_MS));
      return;
    }
    if (!stopped) logger.info({ notReadyForMs: Date.now() - startedAt }, 'Ready: every store answers');
  };
  const schedule = (waitMs: number): void => {
    timer = setTimeout(() => void attempt(waitMs), waitMs);
    timer.unref();
  };
  schedule(FIRST_WAIT_MS);
  return {
    stop: () => {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
