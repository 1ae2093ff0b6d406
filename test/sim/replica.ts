import type { ResolvedPolicy } from '../../src/config/normalize.js';
import { resolvedPolicy } from '../helpers/engine-doubles.js';
import type { RotationEvent } from '../../src/notifiers/types.js';
import { silentLogger } from '../../src/observability/logger.js';
import type { PolicyRuntime } from '../../src/rotation/context.js';
import type { Provider } from '../../src/providers/types.js';
import { Scheduler } from '../../src/scheduler/scheduler.js';
import { ReplicaRoster } from '../../src/scheduler/replica-roster.js';
import type { Store } from '../../src/stores/types.js';
import type { MemoryStore } from './memory-store.js';
import { Ledger, simConsumer, simProvider, storeOver, type Caller, type Delivery, type SideEffectCheck } from './parts.js';
import type { World } from './world.js';

/** Everything the actors of one simulated run share: the outside world and its knobs. */
export interface Shared {
  world: World;
  store: MemoryStore;
  ledger: Ledger;
  deliveries: Delivery[];
  notifications: RotationEvent[];
  check: SideEffectCheck;
  policies: string[];
  consumers: number;
  graceMs: number;
  leaseMs: number;
  /** Fault rates, changed by the run (zero once it heals). */
  faults: { store: number; provider: number; consumer: number };
  /** The provider each actor talks to; default: one with a token API (simProvider). */
  provider?: ((caller: Caller) => Provider) | undefined;
  /** Pacing of requests to a person, and the hand-over page's address (assisted providers). */
  assist?: ResolvedPolicy['assist'] | undefined;
  handoverUrl?: string | undefined;
  /** Told of every event as it is sent (the people who read the notifications). */
  onNotify?: ((event: RotationEvent) => void) | undefined;
  /**
   * When each consumer confirms again (by index): until then its updates are refused as not yet
   * rolled out, a consumer that confirms late; until the run heals, one that never does.
   */
  consumerReadyAt: number[];
  /** `daemon.providerLimits.<type>.concurrency`: rotations of the run's one provider type a replica runs at once. */
  providerSlots?: { group: string; limit: number } | undefined;
  /** `daemon.sharding`: replicas split the policies through a roster in the store, renewed every `heartbeatMs`. */
  sharding?: { heartbeatMs: number } | undefined;
}

/** A run's shared world with fresh ledgers, for the knobs given. */
export function sharedRun(
  world: World,
  store: MemoryStore,
  check: SideEffectCheck,
  knobs: Pick<Shared, 'policies' | 'consumers' | 'graceMs' | 'leaseMs' | 'faults'> & Partial<Pick<Shared, 'provider' | 'assist' | 'handoverUrl'>>,
): Shared {
  return { world, store, check, ledger: new Ledger(), deliveries: [], notifications: [], consumerReadyAt: [], ...knobs };
}

/** One actor's view of one policy: the engine's real runtime, with every outside call on the world's network. */
export function simPolicyRuntime(shared: Shared, caller: Caller, name: string): PolicyRuntime {
  const { world } = shared;
  return {
    name,
    ref: { name },
    settings: resolvedPolicy(name, {
      provider: { type: 'http' } as ResolvedPolicy['provider'],
      graceMs: shared.graceMs,
      ...(shared.assist ? { assist: shared.assist } : {}),
    }),
    store: storeOver(world, caller, shared.store, () => shared.faults.store, shared.check),
    provider: shared.provider?.(caller) ?? simProvider(world, caller, shared.ledger, () => shared.faults.provider, shared.check, shared.deliveries),
    consumers: Array.from({ length: shared.consumers }, (_, i) => ({
      key: `${i}:sim`,
      consumer: simConsumer(
        world,
        caller,
        `c${i}`,
        shared.deliveries,
        shared.store,
        () => shared.faults.consumer,
        shared.check,
        () => shared.consumerReadyAt[i] ?? 0,
      ),
    })),
    notify: async (event) => {
      const sent = { ...event, policy: name, at: world.now };
      shared.notifications.push(sent);
      shared.onNotify?.(sent);
    },
    logger: silentLogger(),
    clock: world.clockFor(caller.actor),
    retry: { attempts: 4, initialDelayMs: 1_000, maxDelayMs: 30_000 },
    owner: caller.owner,
    leaseMs: shared.leaseMs,
    unstaged: {},
    random: world.random,
    handoverUrl: shared.handoverUrl,
    providerSlots: shared.providerSlots,
  };
}

type RosterStore = Required<Pick<Store, 'readRoster' | 'updateRoster'>>;

/** A daemon replica: the real Scheduler and engine, on the world's clock, timers and network. */
export function startReplica(shared: Shared, actor: string): Scheduler {
  const caller = { actor, owner: `sim-${actor}` };
  const policies = new Map(shared.policies.map((name) => [name, simPolicyRuntime(shared, caller, name)]));
  const clock = shared.world.clockFor(actor);
  const timers = shared.world.timersFor(actor);
  const roster =
    shared.sharding &&
    new ReplicaRoster({
      store: () => storeOver(shared.world, caller, shared.store, () => shared.faults.store, shared.check) as RosterStore,
      owner: caller.owner,
      clock,
      timers,
      heartbeatMs: shared.sharding.heartbeatMs,
      logger: silentLogger(),
      onChange: () => void scheduler.wake(),
    });
  const scheduler: Scheduler = new Scheduler(policies, { concurrency: 4, clock, logger: silentLogger(), timers, shard: roster || undefined });
  shared.world.log(`${actor} START`);
  // As the daemon does: in the roster before the first pass (here without waiting for it: the first pass may read everything).
  if (roster) void roster.join();
  scheduler.start();
  return scheduler;
}
