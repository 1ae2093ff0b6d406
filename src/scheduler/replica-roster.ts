import type { Clock } from '../clock.js';
import { describeError } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import type { Roster } from '../stores/roster-record.js';
import type { Store } from '../stores/types.js';
import type { SchedulerTimers } from './scheduler-timers.js';

/** A replica that missed this many heartbeats is gone: its policies go to the others. */
const HEARTBEATS_TO_LIVE = 5;

type RosterStore = Required<Pick<Store, 'readRoster' | 'updateRoster'>>;

interface ReplicaRosterOptions {
  /** The store that keeps the roster, as of now (a reload may swap the adapter). */
  store: () => RosterStore;
  /** This process's lease holder name. */
  owner: string;
  clock: Clock;
  timers: SchedulerTimers;
  heartbeatMs: number;
  logger: Logger;
  /** The replicas changed (policies move), or another replica asked for a pass: the scheduler reads its policies again. */
  onChange: () => void;
  /** Told the number of live replicas each time it changes. */
  onReplicas?: ((count: number) => void) | undefined;
}

/** FNV-1a over the text, then a 32-bit finalizer so that near-equal names spread. */
function score(member: string, policy: string): number {
  let h = 0x811c9dc5;
  const text = `${member}\n${policy}`;
  for (let i = 0; i < text.length; i += 1) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Rendezvous hashing: the replica with the highest score for the policy serves it, so a replica that comes or goes moves only its own share. */
export function servingReplica(replicas: readonly string[], policy: string): string {
  let best = replicas[0]!;
  let bestScore = -1;
  for (const member of replicas) {
    const s = score(member, policy);
    if (s > bestScore || (s === bestScore && member < best)) {
      best = member;
      bestScore = s;
    }
  }
  return best;
}

/**
 * Shards the fleet between the daemon replicas that share a store (`daemon.sharding`). Each
 * replica renews its entry in the store's roster every heartbeat; the live entries decide which
 * replica serves which policy (`owns`). Sharding saves work, it does not keep order: leases still
 * decide who may write, so a roster seen late, or two replicas briefly serving one policy, costs
 * a lost race at most. A replica that cannot read the roster for five heartbeats serves every
 * policy until it can again, since the others may be gone.
 */
export class ReplicaRoster {
  readonly #options: ReplicaRosterOptions;
  readonly #ttlMs: number;
  /** The live replicas as last read, this one included, sorted. */
  #live: string[];
  #readAt = -Infinity;
  #wakeSeq: number | undefined;
  #alone = false;
  #failing = false;
  readonly #serves = new Map<string, boolean>();
  #timer: unknown;
  #stopped = false;

  constructor(options: ReplicaRosterOptions) {
    this.#options = options;
    this.#ttlMs = options.heartbeatMs * HEARTBEATS_TO_LIVE;
    this.#live = [options.owner];
  }

  /** The first heartbeat, then one every `heartbeatMs`: the replica is in the roster before its first pass. */
  async join(): Promise<void> {
    await this.#beat();
    this.#next();
  }

  /** Whether this replica serves `policy`: all of them while it is alone, or cannot read the roster. */
  owns(policy: string): boolean {
    if (this.#live.length <= 1 || this.#unread()) return true;
    let mine = this.#serves.get(policy);
    if (mine === undefined) {
      mine = servingReplica(this.#live, policy) === this.#options.owner;
      this.#serves.set(policy, mine);
    }
    return mine;
  }

  /** The live replicas as this one sees them, itself included. */
  get replicas(): readonly string[] {
    return this.#live;
  }

  /** Asks every other replica for a pass over its policies (a request for many policies was recorded). */
  announceWake(): void {
    const { owner, clock, logger } = this.#options;
    const failed = (error: unknown): void =>
      logger.warn({ error: describeError(error) }, 'Could not ask the other replicas for a pass: they find the request at their next read of each policy');
    let store: RosterStore;
    try {
      // Looked up at the call: a reload that dropped the store is a failure like any other, not a throw out of a wake-up.
      store = this.#options.store();
    } catch (error) {
      return failed(error);
    }
    store
      .updateRoster((roster) => ({ ...roster, wake: { seq: (roster.wake?.seq ?? 0) + 1, at: clock.now(), by: owner } }))
      .then((roster) => {
        this.#wakeSeq = Math.max(this.#wakeSeq ?? 0, roster.wake?.seq ?? 0);
      }, failed);
  }

  /** Stops the heartbeat and takes this replica out of the roster, so that the others take its policies at once. */
  async leave(): Promise<void> {
    this.stop();
    const { owner } = this.#options;
    try {
      await this.#options.store().updateRoster((roster) => {
        if (roster.members[owner] === undefined) return undefined;
        const { [owner]: _gone, ...members } = roster.members;
        return { ...roster, members };
      });
    } catch (error) {
      this.#options.logger.warn({ error: describeError(error) }, 'Could not leave the replica roster: the others take over when its entry runs out');
    }
  }

  stop(): void {
    this.#stopped = true;
    this.#options.timers.clear(this.#timer);
  }

  #unread(): boolean {
    return this.#options.clock.now() - this.#readAt > this.#ttlMs;
  }

  #next(): void {
    if (this.#stopped) return;
    this.#timer = this.#options.timers.set(() => void this.#beat().finally(() => this.#next()), this.#options.heartbeatMs);
  }

  /** Reads the roster, renews this replica's entry when half its time has passed, and takes in what changed. */
  async #beat(): Promise<void> {
    const { owner, clock, logger } = this.#options;
    const now = clock.now();
    try {
      const store = this.#options.store();
      let roster = await store.readRoster();
      const mine = roster.members[owner];
      if (mine === undefined || mine.until - now < this.#ttlMs / 2) {
        roster = await store.updateRoster((r) => {
          const members = Object.fromEntries(Object.entries(r.members).filter(([, m]) => m.until > now - this.#ttlMs));
          return { ...r, members: { ...members, [owner]: { until: now + this.#ttlMs, since: r.members[owner]?.since ?? now } } };
        });
      }
      if (this.#stopped) return;
      this.#readAt = now;
      if (this.#failing) logger.info('The replica roster is readable again');
      this.#failing = false;
      this.#take(roster, now);
    } catch (error) {
      if (this.#stopped) return;
      if (!this.#failing) logger.warn({ error: describeError(error) }, 'Cannot read or renew the replica roster; retrying every heartbeat');
      this.#failing = true;
      if (this.#unread() && !this.#alone) {
        this.#alone = true;
        logger.warn('The replica roster is unreadable for five heartbeats: this replica serves every policy until it reads it again');
        this.#options.onChange();
      }
    }
  }

  #take(roster: Roster, now: number): void {
    const { owner, logger } = this.#options;
    const live = Object.entries(roster.members)
      .filter(([name, m]) => name === owner || m.until > now)
      .map(([name]) => name);
    if (!live.includes(owner)) live.push(owner);
    live.sort();
    const changed = live.join('\n') !== this.#live.join('\n') || this.#alone;
    this.#alone = false;
    const seq = roster.wake?.seq ?? 0;
    const woken = this.#wakeSeq !== undefined && seq > this.#wakeSeq && roster.wake?.by !== owner;
    this.#wakeSeq = Math.max(this.#wakeSeq ?? 0, seq);
    if (changed) {
      this.#live = live;
      this.#serves.clear();
      logger.info({ replicas: live, count: live.length }, 'Replicas sharing the fleet');
      this.#options.onReplicas?.(live.length);
    }
    if (changed || woken) this.#options.onChange();
  }
}
