import type { Clock } from '../clock.js';

/**
 * A sliding-window limiter: at most `limit` calls in any `windowMs`. Callers past the limit wait
 * their turn. One instance per rate-limit domain (e.g. per organization and method), shared by
 * every policy that talks to it.
 */
export class RateLimiter {
  readonly #starts: number[] = [];
  #queue: Promise<void> = Promise.resolve();

  constructor(
    readonly limit: number,
    readonly windowMs: number,
    private readonly clock: Clock,
  ) {}

  /** Resolves when one more call fits in the window. */
  take(): Promise<void> {
    const turn = this.#queue.then(async () => {
      for (;;) {
        const now = this.clock.now();
        while (this.#starts.length > 0 && this.#starts[0]! <= now - this.windowMs) this.#starts.shift();
        if (this.#starts.length < this.limit) {
          this.#starts.push(now);
          return;
        }
        await this.clock.sleep(this.#starts[0]! + this.windowMs - now);
      }
    });
    this.#queue = turn.catch(() => undefined);
    return turn;
  }
}

const shared = new Map<string, RateLimiter>();

/** The process-wide limiter for `key`, created on first use. */
export function sharedLimiter(key: string, limit: number, windowMs: number, clock: Clock): RateLimiter {
  let limiter = shared.get(key);
  if (!limiter) {
    limiter = new RateLimiter(limit, windowMs, clock);
    shared.set(key, limiter);
  }
  return limiter;
}
