import { Operators, type ChaosCounts } from './chaos.js';
import { MemoryStore } from './memory-store.js';
import type { SideEffectCheck } from './parts.js';
import { Person, type PersonCounts } from './person.js';
import { sharedRun } from './replica.js';
import { uiProvider, UiLedger } from './ui-provider.js';
import { SimulationFailure, World } from './world.js';

const SECOND = 1_000;
const MINUTE = 60_000;
/** People and faults for this long; then faults stop, the person acts promptly, and the run must converge. */
const CHAOS_MS = 60 * MINUTE;
const HEAL_MS = 60 * MINUTE;
const MAX_EVENTS = 80_000;

export interface HumanSeedReport extends ChaosCounts, PersonCounts {
  seed: number;
  events: number;
  policies: number;
  /** Rotations that ended with a new credential in use. */
  completed: number;
  /** Tokens the person made and never handed over nor deleted (rotad never saw them). */
  leftWithPerson: number;
  digest?: string | undefined;
  failure?: string | undefined;
}

/**
 * One seeded run of assisted rotations: 1–3 daemon replicas (the real Scheduler and engine) ask
 * a person for every token of a provider without a token API, over a network that delays, fails
 * and times out calls. The person (person.ts) creates tokens in the provider's UI, hands them over
 * through the hand-over page and `rotad submit` (the real hand-over service), races, replays and
 * mistypes links, deletes what requests name (and sometimes the wrong token first); operators
 * crash replicas, send requests and signals, take the store down and roll back at any phase.
 * After every event: every token alive at the provider is current, previous or pending in the
 * store, or in the person's hands (never handed over, or turned away with "delete it"); nobody is
 * asked or told to delete a credential rotad keeps; a link and a request take one token at most.
 */
export async function runHumanSeed(seed: number): Promise<HumanSeedReport> {
  const world = new World(seed);
  const violations: string[] = [];
  const store = new MemoryStore();
  const ledger = new UiLedger();
  const check = ((caller, policy, what) => {
    const lease = store.entry(policy).state.lease;
    // A hand-over claims the policy under a lease of its own (`handover:…`), not the caller's name.
    const holder = caller.actor.startsWith('person.') ? lease?.owner.startsWith('handover:') : lease?.owner === caller.owner;
    if (!holder) violations.push(`one writer: ${what} on ${policy} by ${caller.owner} while the lease is ${lease ? `${lease.owner}'s` : 'free'}`);
  }) as SideEffectCheck;
  check.violation = (message) => violations.push(message);
  check.recorded = (policy, value) => {
    const entry = store.entry(policy);
    return [entry.pending, entry.current, entry.previous].some((c) => c?.value.reveal() === value);
  };
  const shared = sharedRun(world, store, check, {
    policies: Array.from({ length: world.between(1, 2) }, (_, i) => `p${i}`),
    consumers: world.between(0, 2),
    graceMs: world.chance(0.5) ? 0 : 30 * SECOND,
    leaseMs: [15_000, 60_000][world.between(0, 1)]!,
    faults: { store: world.chance(0.4) ? 0 : world.random() * 0.05, provider: world.random() * 0.05, consumer: world.random() * 0.05 },
    assist: { remindMs: 5 * MINUTE, deadlineMs: 15 * MINUTE, checkMs: MINUTE },
    handoverUrl: 'https://rotad.test',
  });
  shared.provider = (caller) => uiProvider(world, caller, ledger, () => shared.faults.provider);
  // Half the runs shard the fleet between their replicas: the person's requests come from the replica that serves the policy.
  shared.sharding = world.chance(0.5) ? { heartbeatMs: world.between(2, 10) * 1_000 } : undefined;
  const operators = new Operators(shared);

  const inUse = (policy: string, value: string): string | undefined => {
    const { current, pending, state } = store.entry(policy);
    if (current?.value.reveal() === value) return 'the current credential';
    const retiring = state.retire?.slot === 'pending' && state.retire.rotationId === pending?.rotationId;
    if (pending?.value.reveal() === value && pending.rotationId === state.rotationId && !retiring) return 'the pending credential of its rotation';
    return undefined;
  };
  const person = new Person(shared, ledger, {
    wake: (policy) => void operators.anyReplica()?.wake([policy]),
    violation: (message) => violations.push(message),
    inUse,
    rollingBack: (policy) => store.entry(policy).state.retire?.reason === 'rolled-back',
  });
  shared.onNotify = (event) => {
    world.log(`notice ${event.type} ${event.policy} ${event.rotationId ?? ''}: ${event.message.split('\n')[0]!.slice(0, 120)}`);
    person.read(event);
  };

  let completed = 0;
  store.onStateWrite = (policy, before, after) => {
    const done = after.history.at(-1);
    if (done && done.rotationId !== before.history.at(-1)?.rotationId && done.outcome === 'succeeded') completed += 1;
    // The engine's own assertions (src/rotation/invariants.ts): the seed fails at the write that records one.
    if (after.attention?.code === 'INTERNAL') violations.push(`${policy}: ${after.attention.message}`);
    if (process.env.SIM_DEBUG)
      world.log(
        `${policy} state ${JSON.stringify({ phase: after.phase, rotation: after.rotationId, retire: after.retire, assist: after.assist && { ...after.assist, links: undefined }, incident: after.incident })}`,
      );
  };

  operators.schedule(CHAOS_MS, world.between(1, 4));

  /** Every token alive at the provider is kept by rotad, or in the person's hands. */
  const everyEvent = (): void => {
    for (const token of ledger.tokens.values()) {
      if (token.deleted) continue;
      const entry = store.entry(token.policy);
      const kept = [entry.current, entry.previous, entry.pending].find((c) => c?.value.reveal() === token.value);
      if (kept?.revokedAt !== undefined) violations.push(`${token.id} of ${token.policy} is recorded as revoked but the provider accepts it`);
      if (kept !== undefined) continue;
      const status = person.held.get(token.value)?.status;
      if (status === 'in-hand' || status === 'handing' || status === 'told-delete') continue;
      violations.push(`${token.id} of ${token.policy} was taken by rotad and is alive, but rotad neither keeps it nor asks anyone to delete it`);
    }
    for (const name of shared.policies) {
      const { state, previous, current } = store.entry(name);
      // A person may delete the token a rollback restores before its withdrawal reaches them: rotad then undoes the rollback.
      if (current !== undefined && !ledger.works(current.value.reveal(), name) && state.retire?.reason !== 'rolled-back')
        violations.push(`the current credential of ${name} was deleted at the provider`);
      if (state.phase === 'idle' && previous !== undefined && previous.revokedAt === undefined && ledger.works(previous.value.reveal(), name))
        violations.push(`the previous credential of ${name} is alive, and with the policy idle nobody is asked to delete it`);
    }
    if (violations.length > 0) throw new SimulationFailure(violations[0]);
  };

  const report: HumanSeedReport = { seed, events: 0, policies: shared.policies.length, completed: 0, leftWithPerson: 0, ...operators.counts, ...person.counts };
  try {
    await world.run(world.now + CHAOS_MS, everyEvent, MAX_EVENTS);
    operators.heal();
    person.diligent = true;
    world.at(world.now + SECOND, 'chaos', 'rotate', () => operators.rotateAll(false));
    await world.run(world.now + HEAL_MS, everyEvent, MAX_EVENTS);
    violations.push(...convergence(shared.policies, store, ledger, person, report));
    if (violations.length > 0) throw new SimulationFailure(violations[0]);
  } catch (error) {
    if (!(error instanceof SimulationFailure)) throw error;
    report.failure = `${error.message}\n--- last events of seed ${seed} ---\n${world.trace.slice(process.env.HUMAN_SEED === undefined ? -80 : -4000).join('\n')}`;
  }
  // A replayed seed (HUMAN_SEED) prints its whole trace, failing or not.
  if (process.env.HUMAN_SEED === String(seed) && !report.failure) process.stdout.write(`${world.trace.join('\n')}\n`);
  Object.assign(report, operators.counts, person.counts, { completed, events: world.events, digest: world.digest() });
  return report;
}

/** Once faults stop and the person follows every request: every policy idle, and only current credentials alive. */
function convergence(policies: string[], store: MemoryStore, ledger: UiLedger, person: Person, report: HumanSeedReport): string[] {
  const problems: string[] = [];
  for (const name of policies) {
    const { state, pending } = store.entry(name);
    if (state.phase !== 'idle' || state.attention)
      problems.push(`${name} did not converge: phase ${state.phase}${state.attention ? `, needs attention: ${state.attention.message}` : ''}`);
    if (pending) problems.push(`${name} keeps a pending credential of rotation ${pending.rotationId}`);
    if (state.outbox.length > 0) problems.push(`${name}: ${state.outbox.length} notice(s) never delivered`);
  }
  for (const token of ledger.tokens.values()) {
    if (token.deleted || store.entry(token.policy).current?.value.reveal() === token.value) continue;
    if (person.held.get(token.value)?.status === 'in-hand') {
      report.leftWithPerson += 1;
      continue;
    }
    problems.push(`${token.id} of ${token.policy} is alive at the end and is not current`);
  }
  return problems;
}
