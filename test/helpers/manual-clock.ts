import type { Clock } from '../../src/clock.js';

interface Sleeper {
  at: number;
  resolve: () => void;
}

/**
 * Time that moves only when the test says so: `advance` fires every sleep whose time has come, in
 * order, letting what each one starts run before the next. For the scheduler's timers.
 */
export class ManualClock implements Clock {
  #sleepers: Sleeper[] = [];
  constructor(public time = Date.now()) {}

  now = (): number => this.time;

  sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const sleeper: Sleeper = { at: this.time + Math.max(0, ms), resolve };
      this.#sleepers.push(sleeper);
      signal?.addEventListener(
        'abort',
        () => {
          this.#sleepers = this.#sleepers.filter((s) => s !== sleeper);
          reject(signal.reason);
        },
        { once: true },
      );
    });

  /** Moves time on by `ms`, waking each sleeper at its own time. */
  async advance(ms: number): Promise<void> {
    const target = this.time + ms;
    for (;;) {
      const next = this.#sleepers.filter((s) => s.at <= target).sort((a, b) => a.at - b.at)[0];
      if (!next) break;
      this.#sleepers = this.#sleepers.filter((s) => s !== next);
      this.time = Math.max(this.time, next.at);
      next.resolve();
      await new Promise((r) => setImmediate(r));
    }
    this.time = target;
  }

  /** When the earliest sleeper wakes, if any sleeps. */
  get nextWake(): number | undefined {
    return this.#sleepers.reduce<number | undefined>((min, s) => (min === undefined || s.at < min ? s.at : min), undefined);
  }
}
