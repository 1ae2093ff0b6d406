import { createHash } from 'node:crypto';
import type { Clock } from '../../src/clock.js';
import { RotadError } from '../../src/errors.js';
import type { SchedulerTimers } from '../../src/scheduler/scheduler-timers.js';

/** A small, fast, seedable generator (mulberry32): the whole run is a function of the seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Pending {
  at: number;
  seq: number;
  actor: string;
  label: string;
  fire: () => void;
  /** A timer wakes its actor (postponed while the actor is stalled); an I/O call lands on the other side whatever the actor does. */
  kind: 'timer' | 'io';
  /** For an I/O call: what happens to it when its actor dies before the answer. */
  onCrash?: (() => void) | undefined;
  cancelled: boolean;
}

/** How an I/O call may go wrong, decided by the world's dice. */
export interface IoFaults {
  /** Probability that the call fails before it reaches the other side. */
  fail: number;
  /** Probability that the call times out: the effect may or may not have happened. */
  timeout: number;
  /** The error the caller sees for either. */
  error: () => Error;
}

/**
 * Virtual time and one event queue for every actor (daemon replicas, CLI commands). Every store,
 * provider and consumer call, every sleep and every timer is an event; the world runs them one at a
 * time in time order, ties and latencies decided by the seeded dice, and lets all JavaScript that
 * follows an event run before the next one. So every `await` that touches the outside world is an
 * interleaving point, and a seed replays the same run.
 */
export class World {
  now = Date.parse('2026-06-01T00:00:00Z');
  readonly random: () => number;
  readonly trace: string[] = [];
  events = 0;
  /** Chance that an actor stalls right after sending a call (so stalls hit mid-rotation, where they matter). */
  stallChance = 0;
  readonly #queue: Pending[] = [];
  /** A digest of every event logged, reads included: two runs of one seed must give the same. */
  readonly #digest = createHash('sha256');
  #seq = 0;
  readonly #dead = new Set<string>();
  readonly #pendingIo = new Map<string, Set<Pending>>();
  /** Actors stalled (a long GC pause, SIGSTOP, a starved container) until the given time. */
  readonly #pausedUntil = new Map<string, number>();

  constructor(readonly seed: number) {
    this.random = seededRandom(seed);
  }

  log(line: string): void {
    this.#digest.update(`${this.now} ${line}\n`);
    // Reads change nothing; leaving them out keeps the trace to what happened.
    if (line.includes(' store.read(') && !line.includes('->')) return;
    this.trace.push(`${String(this.now - Date.parse('2026-06-01T00:00:00Z')).padStart(9)}ms ${line}`);
    if (this.trace.length > 4000) this.trace.splice(0, 1000);
  }

  chance(p: number): boolean {
    return this.random() < p;
  }

  between(min: number, max: number): number {
    return min + Math.floor(this.random() * (max - min + 1));
  }

  /** The digest of the run so far (see #digest). */
  digest(): string {
    return this.#digest.copy().digest('hex');
  }

  isDead(actor: string): boolean {
    return this.#dead.has(actor);
  }

  at(time: number, actor: string, label: string, fire: () => void, kind: Pending['kind'] = 'timer'): Pending {
    const pending: Pending = { at: Math.max(time, this.now), seq: this.#seq++, actor, label, fire, cancelled: false, kind };
    // Ties are broken by the dice, not by arrival: equal-time events interleave differently per seed.
    pending.seq += Math.floor(this.random() * 1000) * 1_000_000;
    this.#queue.push(pending);
    return pending;
  }

  clockFor(actor: string): Clock {
    return {
      now: () => this.now,
      sleep: (ms, signal) =>
        new Promise<void>((resolve, reject) => {
          if (signal?.aborted) return reject(signal.reason);
          const timer = this.at(this.now + Math.max(0, ms), actor, 'sleep', () => {
            signal?.removeEventListener('abort', onAbort);
            resolve();
          });
          const onAbort = (): void => {
            timer.cancelled = true;
            reject(signal?.reason);
          };
          signal?.addEventListener('abort', onAbort, { once: true });
        }),
    };
  }

  timersFor(actor: string): SchedulerTimers {
    return {
      set: (callback, ms) => this.at(this.now + ms, actor, 'timer', callback),
      clear: (handle) => {
        if (handle) (handle as Pending).cancelled = true;
      },
    };
  }

  /**
   * One call to the outside world by `actor`. After a random latency the effect happens and the
   * answer is delivered; with `faults` it may fail first, or time out (effect done or not). When
   * the actor dies before the answer, the request may still have reached the other side.
   */
  io<T>(actor: string, label: string, effect: () => Promise<T>, faults?: IoFaults): Promise<T> {
    if (this.#dead.has(actor)) return new Promise<T>(() => undefined);
    if (this.stallChance > 0 && !this.#pausedUntil.has(actor) && this.chance(this.stallChance)) this.pause(actor, this.between(1_000, 180_000));
    return new Promise<T>((resolve, reject) => {
      const latency = this.chance(0.05) ? this.between(200, 3_000) : this.between(1, 40);
      const outcome = faults && this.chance(faults.fail) ? 'fail' : faults && this.chance(faults.timeout) ? 'timeout' : 'ok';
      const set = this.#pendingIo.get(actor) ?? new Set<Pending>();
      this.#pendingIo.set(actor, set);
      const pending = this.at(
        this.now + latency,
        actor,
        label,
        () => {
          set.delete(pending);
          if (outcome === 'fail') {
            this.log(`${actor} ${label} -> failed`);
            return this.#deliver(actor, () => reject(faults!.error()));
          }
          const applied = outcome === 'ok' || this.chance(0.5);
          this.log(`${actor} ${label}${outcome === 'timeout' ? ` -> timeout (${applied ? 'applied' : 'not applied'})` : ''}`);
          const result = applied ? effect() : undefined;
          if (outcome === 'timeout') {
            // Settle the effect's own promise, then report the timeout whatever it said.
            void result?.catch(() => undefined);
            return this.#deliver(actor, () => reject(faults!.error()));
          }
          result!.then(
            (value) => this.#deliver(actor, () => resolve(value)),
            (error: unknown) => this.#deliver(actor, () => reject(error)),
          );
        },
        'io',
      );
      pending.onCrash = () => {
        if (outcome !== 'fail' && this.chance(0.5)) {
          this.log(`${actor} ${label} -> reached the other side after its caller died`);
          void effect().catch(() => undefined);
        }
      };
      set.add(pending);
    });
  }

  /** The answer reaches its actor now, or when its stall ends. */
  #deliver(actor: string, answer: () => void): void {
    const until = this.#pausedUntil.get(actor);
    if (until !== undefined && until > this.now) this.at(until, actor, 'answer after stall', answer);
    else answer();
  }

  /** The actor stalls: its timers and the answers to its calls wait; calls already sent still land. */
  pause(actor: string, ms: number): void {
    this.#pausedUntil.set(actor, this.now + ms);
    this.log(`${actor} STALL ${ms}ms`);
  }

  /** The actor dies: nothing of it runs again; each call in flight may or may not have landed. */
  crash(actor: string): void {
    this.#dead.add(actor);
    this.log(`${actor} CRASH`);
    for (const pending of this.#pendingIo.get(actor) ?? []) {
      pending.cancelled = true;
      pending.onCrash?.();
    }
    this.#pendingIo.delete(actor);
  }

  /** Runs events until `until` or until nothing is left; `check` runs after each one. */
  async run(until: number, check: () => void, maxEvents: number): Promise<void> {
    await settle();
    for (;;) {
      const next = this.#popNext();
      if (!next || next.at > until) {
        if (next) this.#queue.push(next);
        this.now = Math.max(this.now, until);
        return;
      }
      this.now = next.at;
      if (this.#dead.has(next.actor)) continue;
      const stalledUntil = this.#pausedUntil.get(next.actor);
      if (next.kind === 'timer' && stalledUntil !== undefined && stalledUntil > this.now) {
        next.at = stalledUntil;
        this.#queue.push(next);
        continue;
      }
      this.events += 1;
      if (this.events > maxEvents) throw new SimulationFailure(`more than ${maxEvents} events: an unbounded loop`);
      next.fire();
      await settle();
      check();
    }
  }

  #popNext(): Pending | undefined {
    let best = -1;
    for (let i = 0; i < this.#queue.length; i += 1) {
      const candidate = this.#queue[i]!;
      if (candidate.cancelled) continue;
      const current = best >= 0 ? this.#queue[best]! : undefined;
      if (!current || candidate.at < current.at || (candidate.at === current.at && candidate.seq < current.seq)) best = i;
    }
    const next = best >= 0 ? this.#queue[best] : undefined;
    // Drop cancelled entries now and then so the scan stays short.
    if (this.#queue.length > 256) {
      const live = this.#queue.filter((p) => !p.cancelled && p !== next);
      this.#queue.length = 0;
      this.#queue.push(...live);
    } else if (best >= 0) {
      this.#queue.splice(best, 1);
    }
    return next;
  }
}

/** An invariant broke; the message says which. */
export class SimulationFailure extends Error {}

/** Lets every promise continuation that is ready run (the world is all in memory: no real I/O to wait for). */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export const unreachable = (what: string) => (): Error => new RotadError('STORE_UNREACHABLE', `${what} did not answer`, { retryable: true });
