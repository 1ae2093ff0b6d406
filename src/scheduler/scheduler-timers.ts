import type { Clock } from '../clock.js';

/** The scheduler's timer. By default it runs on the scheduler's clock (`clock.sleep`); the simulation brings its own. */
export interface SchedulerTimers {
  set(callback: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

/** Timers made of a clock's sleep, so that a test clock drives the scheduler without real time passing. */
export function timersOf(clock: Clock): SchedulerTimers {
  return {
    set: (callback, ms) => {
      const cancel = new AbortController();
      clock.sleep(ms, cancel.signal).then(callback, () => undefined);
      return cancel;
    },
    clear: (handle) => (handle as AbortController | undefined)?.abort(),
  };
}
