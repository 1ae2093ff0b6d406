import { mergeHistory } from '../../src/history-trail.js';
import type { PolicyState } from '../../src/policy-state.js';
import { AlternatingDatabase } from './alternating-db.js';
import { Operators, type ChaosCounts } from './chaos.js';
import { MemoryStore } from './memory-store.js';
import type { SideEffectCheck } from './parts.js';
import { sharedRun, type Shared } from './replica.js';
import { SimulationFailure, World } from './world.js';

const MINUTE = 60_000;
/** Chaos runs this long, then faults stop and the run must converge. */
const CHAOS_MS = 20 * MINUTE;
const HEAL_MS = 25 * MINUTE;
const QUIET_MS = 10 * MINUTE;
const MAX_EVENTS = 60_000;

export interface SeedReport extends ChaosCounts {
  seed: number;
  events: number;
  policies: number;
  /** 1 when the run's replicas shard the fleet. */
  sharded: number;
  /** 1 when the run caps the rotations of its provider type at once. */
  limited: number;
  started: number;
  completed: number;
  /** Tokens created at the provider whose creator never saw the answer (non-idempotent provider only). */
  unseenTokens: number;
  /** Of those, how many no notification pointed at (the rotation ended before it could look again). */
  unwarnedTokens: number;
  /** Tokens rotad created, could not store, failed to revoke, and said so. */
  reportedTokens: number;
  /** Consumers that stopped confirming for a while (a rollout still running), or until the run healed. */
  lateConsumers: number;
  /** Database runs: revokes held back by sessions of the old role, and roles disabled. */
  sessionWaits: number;
  rolesDisabled: number;
  /** Digest of everything that happened: the same seed must give the same run. */
  digest?: string | undefined;
  /** The first broken invariant, with the tail of the trace; undefined when the run held. */
  failure?: string | undefined;
}

/**
 * One seeded run: 1–3 daemon replicas (the real Scheduler and engine) share an in-memory store,
 * a provider and consumers across a simulated network that delays, fails and times out calls.
 * For 20 simulated minutes replicas are crashed at any event and restarted, `rotad rotate --all`,
 * SIGUSR2 and `rotad rollback` arrive, and the store goes down; invariants are checked after every
 * event. Then faults stop, one more request is made, and the run must converge.
 */
export async function runSeed(seed: number, options: { database?: boolean } = {}): Promise<SeedReport> {
  const world = new World(seed);
  const violations: string[] = [];
  const check = ((caller, policy, what) => {
    const lease = store.entry(policy).state.lease;
    if (lease?.owner !== caller.owner)
      violations.push(`one writer: ${what} on ${policy} by ${caller.owner} while the lease is ${lease ? `${lease.owner}'s` : 'free'}`);
  }) as SideEffectCheck;
  check.violation = (message) => violations.push(message);
  check.recorded = (policy, value) => {
    const entry = store.entry(policy);
    return [entry.pending, entry.current, entry.previous].some((c) => c?.value.reveal() === value);
  };
  const store = new MemoryStore();
  const shared: Shared = sharedRun(world, store, check, {
    policies: Array.from({ length: world.between(1, 3) }, (_, i) => `p${i}`),
    consumers: world.between(0, 2),
    graceMs: world.chance(0.5) ? 0 : 30_000,
    // Every call's latency stays under half the shortest lease, as `daemon.lease` asks of real timeouts.
    leaseMs: [8_000, 15_000, 60_000][world.between(0, 2)]!,
    faults: { store: world.chance(0.3) ? 0 : world.random() * 0.08, provider: world.random() * 0.08, consumer: world.random() * 0.08 },
  });
  // Half the runs shard the fleet between their replicas (daemon.sharding), with a heartbeat of 2–10 s.
  shared.sharding = world.chance(0.5) ? { heartbeatMs: world.between(2, 10) * 1_000 } : undefined;
  // A third of the runs cap the rotations of their provider type a replica runs at once (daemon.providerLimits).
  shared.providerSlots = world.chance(1 / 3) ? { group: 'sim', limit: world.between(1, 2) } : undefined;
  // A database with two roles in turn instead of a token API: applications (the consumers, at least one) hold sessions.
  const database = options.database
    ? new AlternatingDatabase(world, shared.ledger, shared.deliveries, check, (policy) => store.entry(policy).current)
    : undefined;
  if (database) {
    shared.provider = (caller) => database.provider(caller, () => shared.faults.provider);
    shared.consumers = Math.max(1, shared.consumers);
  }
  const report: SeedReport = {
    seed,
    events: 0,
    policies: shared.policies.length,
    replicas: 0,
    sharded: shared.sharding ? 1 : 0,
    limited: shared.providerSlots ? 1 : 0,
    crashes: 0,
    requests: 0,
    signals: 0,
    outages: 0,
    rollbacks: 0,
    incidents: 0,
    started: 0,
    completed: 0,
    unseenTokens: 0,
    unwarnedTokens: 0,
    reportedTokens: 0,
    lateConsumers: 0,
    sessionWaits: 0,
    rolesDisabled: 0,
  };

  const startedIds = new Set<string>();
  const completedIds = new Set<string>();
  const completedOf = new Map<string, string[]>();
  store.onStateWrite = (policy, before, after) => {
    // The engine's own assertions (src/rotation/invariants.ts): the seed fails at the write that records one.
    if (after.attention?.code === 'INTERNAL') violations.push(`${policy}: ${after.attention.message}`);
    if (process.env.SIM_DEBUG)
      world.log(
        `${policy} state ${JSON.stringify({ phase: after.phase, req: after.requestedAt, lrs: after.lastRequestedStartAt, trig: after.trigger, lease: after.lease?.owner })}`,
      );
    if (after.rotationId !== undefined && after.rotationId !== before.rotationId) {
      if (startedIds.has(after.rotationId)) violations.push(`rotation ${after.rotationId} of ${policy} started twice`);
      startedIds.add(after.rotationId);
      report.started += 1;
      world.log(`${policy} rotation ${after.rotationId} started (${after.trigger ?? 'retire'})`);
    }
    const done = after.history.at(-1);
    if (before.incident !== undefined && after.incident === undefined) incidentEnded(policy, done);
    if (done && done !== before.history.at(-1) && done.outcome === 'succeeded' && after.lastRotationId !== before.lastRotationId) {
      if (completedIds.has(done.rotationId)) violations.push(`rotation ${done.rotationId} of ${policy} completed twice`);
      completedIds.add(done.rotationId);
      completedOf.set(policy, [...(completedOf.get(policy) ?? []), done.rotationId]);
      report.completed += 1;
    }
  };

  // An incident ends with a rotation that leaves no leaked value current, or with a rollback (a person took over).
  const incidentEnded = (policy: string, last: PolicyState['history'][number] | undefined): void => {
    const leaked = operators?.leaked.get(policy);
    operators?.leaked.delete(policy);
    if (last?.outcome !== 'succeeded') return;
    const current = store.entry(policy).current?.value.reveal();
    if (current !== undefined && leaked?.has(current))
      violations.push(`${policy}: incident ${last.incident ?? ''} ended by rotation ${last.rotationId}, which left a leaked credential current`);
  };
  // eslint-disable-next-line prefer-const -- the state hook above reads it once the replicas run
  let operators: Operators | undefined;
  operators = new Operators(shared);
  operators.schedule(CHAOS_MS, world.chance(0.5) ? world.between(1, 2) : 0);
  // Consumers that confirm late (a rollout that takes minutes) or never until the run heals.
  for (let i = 0; i < shared.consumers; i += 1) {
    if (!world.chance(0.4)) continue;
    const never = world.chance(0.25);
    const from = world.between(world.now, world.now + CHAOS_MS);
    const until = never ? Infinity : from + world.between(MINUTE, 15 * MINUTE);
    report.lateConsumers += 1;
    world.at(from, 'chaos', `consumer c${i} ${never ? 'stops confirming' : 'confirms late'}`, () => {
      shared.consumerReadyAt[i] = until;
    });
  }
  const counts = operators.counts;

  const everyEvent = (): void => {
    const slots = shared.providerSlots;
    for (const { actor, scheduler } of slots ? operators.live.values() : []) {
      if (scheduler.inFlight.length > slots!.limit)
        violations.push(`${actor} runs ${scheduler.inFlight.length} rotations of one provider type, above its limit of ${slots!.limit}`);
    }
    for (const name of shared.policies) {
      const current = store.entry(name).current?.value.reveal();
      if (current !== undefined && shared.ledger.tokens.get(current)?.revoked) violations.push(`the current credential of ${name} was revoked at the provider`);
    }
    if (violations.length > 0) throw new SimulationFailure(violations[0]);
  };

  try {
    await world.run(world.now + CHAOS_MS, everyEvent, MAX_EVENTS);
    // Heal: faults stop, every replica runs, and one more request resumes anything stopped.
    operators.heal();
    database?.heal();
    world.at(world.now + 1_000, 'chaos', 'rotate', () => operators.rotateAll(false));
    await world.run(world.now + HEAL_MS, everyEvent, MAX_EVENTS);
    const before = world.events;
    await world.run(world.now + QUIET_MS, everyEvent, MAX_EVENTS);
    const perMinute = (world.events - before) / (QUIET_MS / MINUTE);
    // Sharding adds each replica's heartbeat: a timer, a read of the roster, and a renewal every few beats.
    const heartbeats = shared.sharding ? counts.replicas * 3 * (MINUTE / shared.sharding.heartbeatMs) : 0;
    const bound = 4 * counts.replicas * shared.policies.length + 2 + heartbeats;
    if (perMinute > bound) violations.push(`an idle system made ${perMinute} calls a minute (bound ${bound})`);
    violations.push(...convergence(shared, report), ...historyKept(shared, completedOf));
    // One rotation per request: each policy starts at most one per `rotate`, one per signal, and its first.
    // A rollback after promote opens a run of its own to retire the credential it abandoned.
    // An incident adds one more rotation where one was running.
    const startBound = shared.policies.length * (1 + counts.requests + counts.signals + counts.incidents) + counts.rollbacks;
    if (report.started > startBound)
      violations.push(
        `${report.started} rotations started for ${counts.requests} requests, ${counts.signals} signals and ${counts.rollbacks} rollbacks (bound ${startBound})`,
      );
    if (violations.length > 0) throw new SimulationFailure(violations[0]);
  } catch (error) {
    if (!(error instanceof SimulationFailure)) throw error;
    report.failure = `${error.message}\n--- last events of seed ${seed} ---\n${world.trace.slice(process.env.SIM_SEED === undefined ? -80 : -4000).join('\n')}`;
  }
  Object.assign(report, operators.counts);
  report.sessionWaits = database?.sessionWaits ?? 0;
  report.rolesDisabled = database?.disabled ?? 0;
  report.events = world.events;
  report.digest = world.digest();
  return report;
}

/**
 * The history keeps every completed rotation once, as succeeded, with its phases in time order:
 * what the store filed and what the state holds and may not have filed yet (a filing that failed).
 */
function historyKept(shared: Shared, completedOf: ReadonlyMap<string, readonly string[]>): string[] {
  const problems: string[] = [];
  for (const name of shared.policies) {
    const entry = shared.store.entry(name);
    const merged = mergeHistory(entry.history ?? [], entry.state.history, 1_000);
    for (const id of completedOf.get(name) ?? []) {
      const found = merged.filter((h) => h.rotationId === id && h.outcome === 'succeeded');
      if (found.length !== 1) problems.push(`${name}: completed rotation ${id} appears ${found.length} times in its history`);
      const times = (found[0]?.phases ?? []).map(([, at]) => at);
      if (times.some((at, i) => i > 0 && at < times[i - 1]!)) problems.push(`${name}: rotation ${id} has its phases out of time order in its history`);
    }
  }
  return problems;
}

/** What must hold once faults have stopped and the last request was served. */
function convergence(shared: Shared, report: SeedReport): string[] {
  const problems: string[] = [];
  for (const name of shared.policies) {
    const entry = shared.store.entry(name);
    const { state } = entry;
    if (state.phase !== 'idle' || state.attention)
      problems.push(`${name} did not converge: phase ${state.phase}${state.attention ? `, needs attention: ${state.attention.message}` : ''}`);
    if (state.incident) problems.push(`${name}: incident ${state.incident.reason} never served`);
    if (entry.pending) problems.push(`${name} keeps a pending credential of rotation ${entry.pending.rotationId}`);
    if (state.outbox.length > 0) problems.push(`${name}: ${state.outbox.length} rollback notice(s) never delivered by a running replica`);
    const current = entry.current?.value.reveal();
    for (let i = 0; i < shared.consumers; i += 1) {
      const last = shared.deliveries.filter((d) => d.policy === name && d.consumer === `c${i}`).at(-1)?.value;
      if (last !== current) problems.push(`consumer c${i} of ${name} last got ${last === undefined ? 'nothing' : 'a value that is not current'}`);
    }
    if (entry.previous?.revokedAt !== undefined && !shared.ledger.tokens.get(entry.previous.value.reveal())?.revoked)
      problems.push(`${name}: the previous credential is recorded as revoked but the provider still accepts it`);
  }
  for (const [value, token] of shared.ledger.tokens) {
    if (token.revoked) continue;
    const entry = shared.store.entry(token.policy);
    const known = [entry.current, entry.previous].some((c) => c?.value.reveal() === value);
    if (known) continue;
    if (shared.notifications.some((n) => n.rotationId === token.rotationId && n.message.includes('could not be stored nor revoked'))) {
      report.reportedTokens += 1; // rotad said so: the provider refused every revoke
      continue;
    }
    if (!token.answered || shared.world.isDead(token.creator)) {
      // The provider made it but its answer never reached rotad (a timeout), or the process that
      // saw it died before storing it: rotad cannot know it, only say that an attempt was
      // interrupted. It must have said so for that rotation.
      report.unseenTokens += 1;
      const warned = shared.notifications.some((n) => n.rotationId === token.rotationId && n.message.includes('was interrupted before rotad saw the answer'));
      if (!warned) report.unwarnedTokens += 1;
      continue;
    }
    problems.push(`token of rotation ${token.rotationId} (${token.policy}) is alive at the provider but neither current, previous nor revoked`);
  }
  return problems;
}
