import { describe, expect, it } from 'vitest';
import { systemClock } from '../../src/clock.js';
import { silentLogger } from '../../src/observability/logger.js';
import { ReplicaRoster, servingReplica } from '../../src/scheduler/replica-roster.js';
import { timersOf } from '../../src/scheduler/scheduler-timers.js';
import { Scheduler } from '../../src/scheduler/scheduler.js';
import { MemoryStore as PolicyStore, policyRuntime, recordingProvider, FakeClock, type Call } from '../helpers/engine-doubles.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { MemoryStore } from '../sim/memory-store.js';

const HEARTBEAT = 2_000;
const names = Array.from({ length: 3_000 }, (_, i) => `policy-${i}`);

function rosterOn(store: MemoryStore, owner: string, clock: ManualClock, changes: string[]): ReplicaRoster {
  return new ReplicaRoster({
    store: () => store as Required<MemoryStore>,
    owner,
    clock,
    timers: timersOf(clock),
    heartbeatMs: HEARTBEAT,
    logger: silentLogger(),
    onChange: () => changes.push(owner),
  });
}

describe('replica roster (daemon.sharding)', () => {
  it('gives each of three replicas about a third, and moves only the share of one that goes', () => {
    const three = ['r-a', 'r-b', 'r-c'];
    const byThree = new Map(names.map((n) => [n, servingReplica(three, n)]));
    for (const member of three) {
      const share = [...byThree.values()].filter((m) => m === member).length / names.length;
      expect(share).toBeGreaterThan(0.3);
      expect(share).toBeLessThan(0.37);
    }
    const two = ['r-a', 'r-c'];
    const moved = names.filter((n) => servingReplica(two, n) !== byThree.get(n));
    expect(moved.every((n) => byThree.get(n) === 'r-b')).toBe(true);
    expect(moved.length).toBe([...byThree.values()].filter((m) => m === 'r-b').length);
  });

  it('splits the fleet between live replicas, hands over a silent one, and passes on a wake', async () => {
    const clock = new ManualClock();
    const store = new MemoryStore();
    const changes: string[] = [];
    const a = rosterOn(store, 'r-a', clock, changes);
    const b = rosterOn(store, 'r-b', clock, changes);
    await a.join();
    expect(a.replicas).toEqual(['r-a']);
    expect(names.every((n) => a.owns(n))).toBe(true);
    await b.join();
    await clock.advance(HEARTBEAT);
    expect(a.replicas).toEqual(['r-a', 'r-b']);
    expect(b.replicas).toEqual(['r-a', 'r-b']);
    // Every policy has exactly one replica.
    expect(names.filter((n) => a.owns(n) === b.owns(n))).toEqual([]);
    expect(changes).toEqual(['r-b', 'r-a']);

    // A request for many policies recorded by b: a is asked for a pass at its next heartbeat, b is not.
    changes.length = 0;
    b.announceWake();
    await clock.advance(HEARTBEAT);
    expect(changes).toEqual(['r-a']);

    // b falls silent (killed): after five heartbeats a serves everything.
    b.stop();
    changes.length = 0;
    await clock.advance(HEARTBEAT);
    expect(a.replicas).toEqual(['r-a', 'r-b']);
    await clock.advance(5 * HEARTBEAT);
    expect(a.replicas).toEqual(['r-a']);
    expect(names.every((n) => a.owns(n))).toBe(true);
    expect(changes).toEqual(['r-a']);

    // A replica that leaves in order is gone at the others' next heartbeat.
    const c = rosterOn(store, 'r-c', clock, changes);
    await c.join();
    await clock.advance(HEARTBEAT);
    expect(a.replicas).toEqual(['r-a', 'r-c']);
    await c.leave();
    await clock.advance(HEARTBEAT);
    expect(a.replicas).toEqual(['r-a']);
    a.stop();
  });

  it('serves every policy while the roster cannot be read for five heartbeats, and its share again after', async () => {
    const clock = new ManualClock();
    const store = new MemoryStore();
    const changes: string[] = [];
    const a = rosterOn(store, 'r-a', clock, changes);
    const b = rosterOn(store, 'r-b', clock, changes);
    await a.join();
    await b.join();
    await clock.advance(HEARTBEAT);
    const share = names.filter((n) => a.owns(n)).length;
    expect(share).toBeLessThan(names.length * 0.6);
    store.down = true;
    changes.length = 0;
    await clock.advance(3 * HEARTBEAT);
    expect(names.filter((n) => a.owns(n)).length).toBe(share);
    await clock.advance(3 * HEARTBEAT);
    expect(names.every((n) => a.owns(n))).toBe(true);
    expect(changes).toContain('r-a');
    // Back: b's entry ran out meanwhile, so a serves all until b renews it (at most one heartbeat later).
    store.down = false;
    await clock.advance(2 * HEARTBEAT);
    expect(names.filter((n) => a.owns(n)).length).toBe(share);
    a.stop();
    b.stop();
  });

  it('makes the scheduler serve only its share on a full pass, a named policy at once, and the rest at the rescan', async () => {
    const calls: Call[] = [];
    const six = ['a', 'b', 'c', 'd', 'e', 'f'];
    const policies = new Map(
      six.map((name) => [
        name,
        {
          ...policyRuntime({ store: new PolicyStore(calls), provider: recordingProvider(calls), clock: new FakeClock() }),
          name,
          ref: { name },
          clock: systemClock,
        },
      ]),
    );
    const started: string[] = [];
    let announced = 0;
    const clock = new ManualClock();
    const scheduler = new Scheduler(policies, {
      concurrency: 6,
      clock,
      logger: silentLogger(),
      rescanMs: 60_000,
      onOutcome: (policy, outcome) => started.push(`${policy}:${outcome.status}`),
      shard: { owns: (name) => ['a', 'b', 'c'].includes(name), announceWake: () => (announced += 1) },
    });
    scheduler.start();
    await scheduler.settled();
    expect(started.sort()).toEqual(['a:completed', 'b:completed', 'c:completed']);
    // Named (a command, a hand-over, a leak report to this replica): served here whoever's share it is.
    await scheduler.wake(['e']);
    await scheduler.settled();
    expect(started).toContain('e:completed');
    // A request for the fleet asks the other replicas, and this one passes over its share only.
    await scheduler.wakeFleet();
    await scheduler.settled();
    expect(announced).toBe(1);
    expect(started.filter((s) => s.startsWith('d') || s.startsWith('f'))).toEqual([]);
    // The others' policies are still read within rescanEvery (a safety net, and their metrics).
    await clock.advance(60_000);
    await scheduler.settled();
    expect(started.filter((s) => s.startsWith('d') || s.startsWith('f')).sort()).toEqual(['d:completed', 'f:completed']);
    await scheduler.stop(1_000);
  });
});

describe('replica roster: a store that is gone (a reload dropped it)', () => {
  it('neither throws out of a heartbeat nor out of a wake-up, and serves every policy after five heartbeats', async () => {
    const clock = new ManualClock();
    const changes: string[] = [];
    const roster = new ReplicaRoster({
      store: () => {
        throw new Error('store shared keeps no replica roster');
      },
      owner: 'r-a',
      clock,
      timers: timersOf(clock),
      heartbeatMs: HEARTBEAT,
      logger: silentLogger(),
      onChange: () => changes.push('r-a'),
    });
    await roster.join();
    roster.announceWake();
    await clock.advance(6 * HEARTBEAT);
    expect(names.every((n) => roster.owns(n))).toBe(true);
    expect(changes).toEqual(['r-a']);
    await roster.leave();
  });
});
