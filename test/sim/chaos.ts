import { recordIncident, recordRequest } from '../../src/control/update-state.js';
import { rollbackPolicy } from '../../src/rotation/rollback.js';
import type { Scheduler } from '../../src/scheduler/scheduler.js';
import { simPolicyRuntime, startReplica, type Shared } from './replica.js';

const MINUTE = 60_000;

/** What the chaos did, for the run's report. */
export interface ChaosCounts {
  replicas: number;
  crashes: number;
  requests: number;
  signals: number;
  outages: number;
  rollbacks: number;
  incidents: number;
}

/**
 * The daemon replicas of one run and the operators around them: replicas are launched (and
 * relaunched after a crash), `rotad rotate --all`, SIGUSR2 and `rotad rollback` arrive as commands
 * that may be interrupted, and the store goes down, all at instants the world's dice choose.
 */
export class Operators {
  readonly live = new Map<number, { actor: string; scheduler: Scheduler }>();
  readonly counts: ChaosCounts;
  readonly #incarnations = new Map<number, number>();
  /**
   * Per policy, the credential values in the store (current and pending) when an incident was asked
   * for: "leaked". The rotation that ends the incident must leave none of them current.
   */
  readonly leaked = new Map<string, Set<string>>();
  #cliCount = 0;

  constructor(readonly shared: Shared) {
    this.counts = { replicas: shared.world.between(1, 3), crashes: 0, requests: 0, signals: 0, outages: 0, rollbacks: 0, incidents: 0 };
    for (let i = 0; i < this.counts.replicas; i += 1) this.launch(i);
  }

  launch(index: number): void {
    const n = (this.#incarnations.get(index) ?? 0) + 1;
    this.#incarnations.set(index, n);
    const actor = `r${index}.${n}`;
    this.live.set(index, { actor, scheduler: startReplica(this.shared, actor) });
  }

  /** Every replica that is down starts again. */
  launchAll(): void {
    for (let i = 0; i < this.counts.replicas; i += 1) if (!this.live.has(i)) this.launch(i);
  }

  /** One running replica, chosen by the dice (the one a command's wake-up reaches), if any runs. */
  anyReplica(): Scheduler | undefined {
    return [...this.live.values()][this.shared.world.between(0, Math.max(0, this.live.size - 1))]?.scheduler;
  }

  /** A command run by an operator, who may interrupt it at any point (Ctrl-C, a lost SSH session). */
  cli(label: string, work: (actor: string) => Promise<unknown>, interruptible = true): void {
    const { world } = this.shared;
    this.#cliCount += 1;
    const actor = `cli.${this.#cliCount}`;
    world.log(`${actor} ${label}`);
    if (interruptible && world.chance(0.2)) world.at(world.now + world.between(0, 300), 'chaos', 'interrupt', () => world.crash(actor));
    void work(actor).catch((error: unknown) => world.log(`${actor} ${label} -> ${(error as Error).message}`));
  }

  rotateAll(interruptible = true): void {
    const { shared } = this;
    this.cli(
      'rotate --all',
      async (actor) => {
        this.counts.requests += 1;
        // As `rotad rotate` does: the request's time is taken once, when the command starts.
        const at = shared.world.now;
        for (const name of shared.policies) {
          const runtime = simPolicyRuntime(shared, { actor, owner: `sim-${actor}` }, name);
          await recordRequest(runtime, at, 'cli');
        }
        void this.anyReplica()?.wakeFleet();
      },
      interruptible,
    );
  }

  /** `rotad rotate --selector … --incident`: a random part of the fleet, interruptible like any command. */
  incident(): void {
    const { shared } = this;
    const { world, store } = shared;
    this.cli('rotate --incident', async (actor) => {
      this.counts.incidents += 1;
      const at = world.now;
      const reason = `INC-${this.counts.incidents}`;
      for (const name of shared.policies.filter(() => world.chance(0.6))) {
        const entry = store.entry(name);
        const values = [entry.current, entry.pending].flatMap((c) => (c ? [c.value.reveal()] : []));
        // Counted as leaked once the request is in the store (a write whose answer was lost may have landed).
        const recorded = (): void => {
          if (store.entry(name).state.incident?.at !== at) return;
          const leaked = this.leaked.get(name) ?? new Set<string>();
          for (const value of values) leaked.add(value);
          this.leaked.set(name, leaked);
        };
        try {
          await recordIncident(simPolicyRuntime(shared, { actor, owner: `sim-${actor}` }, name), { reason, actor, at });
        } finally {
          recorded();
        }
      }
      void this.anyReplica()?.wakeFleet();
    });
  }

  /** Crashes (with restarts), requests, signals, store outages, incidents and rollbacks at random instants within `spanMs`. */
  schedule(spanMs: number, rollbacks: number): void {
    const { world, store, policies } = this.shared;
    const at = (label: string, fire: () => void): void => {
      world.at(world.between(world.now, world.now + spanMs), 'chaos', label, fire);
    };
    for (let i = world.between(0, 6); i > 0; i -= 1) {
      at('crash', () => {
        const index = world.between(0, this.counts.replicas - 1);
        const victim = this.live.get(index);
        if (!victim) return;
        world.crash(victim.actor);
        this.live.delete(index);
        this.counts.crashes += 1;
        world.at(world.now + world.between(0, 2 * MINUTE), 'chaos', 'restart', () => {
          if (!this.live.has(index)) this.launch(index);
        });
      });
    }
    world.stallChance = world.chance(0.5) ? 0.01 : 0;
    for (let i = world.between(1, 5); i > 0; i -= 1) at('rotate', () => this.rotateAll());
    for (let i = world.chance(0.5) ? world.between(1, 2) : 0; i > 0; i -= 1) at('incident', () => this.incident());
    for (let i = world.between(0, 4); i > 0; i -= 1) {
      at('signal', () => {
        this.counts.signals += 1;
        for (const { actor, scheduler } of this.live.values()) {
          world.log(`${actor} SIGUSR2`);
          scheduler.signalRotation();
        }
      });
    }
    for (let i = world.between(0, 2); i > 0; i -= 1) {
      at('outage', () => {
        this.counts.outages += 1;
        store.down = true;
        world.log('store DOWN');
        world.at(world.now + world.between(5_000, 90_000), 'chaos', 'store up', () => {
          store.down = false;
          world.log('store UP');
        });
      });
    }
    for (let i = rollbacks; i > 0; i -= 1) {
      at('rollback', () =>
        this.cli('rollback', async (actor) => {
          this.counts.rollbacks += 1;
          const name = policies[world.between(0, policies.length - 1)]!;
          await rollbackPolicy(simPolicyRuntime(this.shared, { actor, owner: `sim-${actor}` }, name));
        }),
      );
    }
  }

  /** Faults stop and every replica runs again. */
  heal(): void {
    const { world, store } = this.shared;
    world.log('HEAL');
    world.stallChance = 0;
    this.shared.faults = { store: 0, provider: 0, consumer: 0 };
    this.shared.consumerReadyAt = [];
    store.down = false;
    this.launchAll();
  }
}
