import { Metrics } from '../../src/observability/metrics.js';
import { describe, expect, it } from 'vitest';
import type { ResolvedConfig } from '../../src/config/normalize.js';
import { systemClock } from '../../src/clock.js';
import type { Consumer } from '../../src/consumers/types.js';
import { silentLogger } from '../../src/observability/logger.js';
import type { Runtime } from '../../src/wiring/runtime.js';
import { requestRotations } from '../../src/control/request-rotation.js';
import { Scheduler } from '../../src/scheduler/scheduler.js';
import { Secret } from '../../src/secret.js';
import { MemoryStore, policyRuntime, recordingProvider, resolvedPolicy, FakeClock, type Call } from '../helpers/engine-doubles.js';
import { ManualClock } from '../helpers/manual-clock.js';

/** The outcomes of a scheduler's runs, and a wait for a condition on them (checked at each outcome, never by sleeping). */
function outcomeLog() {
  const outcomes: string[] = [];
  const waiters: Array<{ done: () => boolean; resolve: () => void }> = [];
  return {
    outcomes,
    onOutcome: (policy: string, outcome: { status: string }): void => {
      outcomes.push(`${policy}:${outcome.status}`);
      for (const waiter of waiters.filter((w) => w.done())) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    },
    until: (done: () => boolean): Promise<void> => (done() ? Promise.resolve() : new Promise((resolve) => waiters.push({ done, resolve }))),
  };
}

/** A consumer that takes `ms` and records how many updates ran at the same time. */
function slowConsumer(ms: number, gauge: { now: number; max: number; perPolicy: Map<string, number> }, policy: string): Consumer {
  return {
    label: 'slow',
    async update() {
      gauge.now += 1;
      gauge.max = Math.max(gauge.max, gauge.now);
      const mine = (gauge.perPolicy.get(policy) ?? 0) + 1;
      gauge.perPolicy.set(policy, mine);
      expect(mine, `two runs of ${policy} overlapped`).toBe(1);
      await new Promise((resolve) => setTimeout(resolve, ms));
      gauge.perPolicy.set(policy, mine - 1);
      gauge.now -= 1;
    },
  };
}

function runtimeOf(names: string[], gauge: Parameters<typeof slowConsumer>[1], rotateOnSignal: boolean): Runtime {
  const calls: Call[] = [];
  const policies = names.map((name) => resolvedPolicy(name, { rotateOnSignal, assist: { remindMs: 1, deadlineMs: 1, checkMs: 1 } }));
  return {
    config: { policies } as unknown as ResolvedConfig,
    stores: new Map(),
    policies: new Map(
      names.map((name) => [
        name,
        {
          ...policyRuntime({
            store: new MemoryStore(calls),
            provider: recordingProvider(calls),
            clock: new FakeClock(),
            consumers: [slowConsumer(60, gauge, name)],
          }),
          name,
          settings: policies.find((p) => p.name === name)!,
          clock: systemClock,
        },
      ]),
    ),
    close: async () => undefined,
  };
}

describe('scheduler', () => {
  it('runs at most `concurrency` rotations at once, and never two of one policy', async () => {
    const gauge = { now: 0, max: 0, perPolicy: new Map<string, number>() };
    const log = outcomeLog();
    const names = ['a', 'b', 'c', 'd', 'e'];
    // The scheduler's clock moves only when the test says (the engines stay on the system clock).
    const clock = new ManualClock();
    const metrics = new Metrics();
    const scheduler = new Scheduler(runtimeOf(names, gauge, true).policies, {
      concurrency: 2,
      clock,
      logger: silentLogger(),
      onOutcome: log.onOutcome,
      metrics,
    });
    const inFlight = new Promise<void>((resolve) => {
      const check = (): void => (gauge.now === 2 ? resolve() : void setImmediate(check));
      check();
    });
    scheduler.start();
    await inFlight;
    // a and b are in flight: a signal now is served by their runs in flight (never a second run
    // alongside); c, d, e have not started, so the signal merges with their first run.
    scheduler.signalRotation();
    scheduler.signalRotation();
    await log.until(() => log.outcomes.length >= 5);
    await scheduler.settled();
    expect(log.outcomes).toHaveLength(5);
    expect(log.outcomes.filter((o) => o.startsWith('a:'))).toHaveLength(1);
    // A signal right after rotations that a request started is served by them (one request reaching
    // several replicas); a and b ran for their first start, not for a request, so they run again.
    scheduler.signalRotation();
    await log.until(() => log.outcomes.length >= 7);
    await scheduler.settled();
    expect(log.outcomes).toHaveLength(7);
    // c, d and e did not rotate again, and that is counted (and logged), not passed off as a rotation.
    expect(await metrics.render()).toMatch(/rotad_signals_absorbed_total\{policy="c",reason="served"\} 1/);
    // Later than 10 s, with nothing in flight, a signal rotates every policy once more.
    await clock.advance(11_000);
    scheduler.signalRotation();
    await log.until(() => log.outcomes.length >= 12);
    await scheduler.settled();
    await scheduler.stop(1000);
    expect(log.outcomes).toHaveLength(12);
    expect(gauge.max).toBe(2);
    expect(log.outcomes.every((o) => o.endsWith(':completed'))).toBe(true);
    for (const name of ['a', 'b']) expect(log.outcomes.filter((o) => o.startsWith(`${name}:`))).toHaveLength(3);
    for (const name of ['c', 'd', 'e']) expect(log.outcomes.filter((o) => o.startsWith(`${name}:`))).toHaveLength(2);
  });
});

describe('scheduler: daemon.signalWindow', () => {
  it('a signal 30 s after a signalled rotation is served by it with a 60 s window, and rotates with the default 10 s', async () => {
    const runs: Record<string, number> = {};
    for (const windowMs of [60_000, undefined]) {
      const gauge = { now: 0, max: 0, perPolicy: new Map<string, number>() };
      const log = outcomeLog();
      const clock = new ManualClock();
      const metrics = new Metrics();
      const scheduler = new Scheduler(runtimeOf(['a'], gauge, true).policies, {
        concurrency: 1,
        clock,
        logger: silentLogger(),
        onOutcome: log.onOutcome,
        metrics,
        signalWindowMs: windowMs,
      });
      scheduler.start();
      await log.until(() => log.outcomes.length >= 1);
      await scheduler.settled();
      scheduler.signalRotation(); // the first run was not requested: this one rotates
      await log.until(() => log.outcomes.length >= 2);
      await scheduler.settled();
      await clock.advance(30_000);
      scheduler.signalRotation();
      await scheduler.settled();
      await new Promise((resolve) => setTimeout(resolve, 200));
      await scheduler.settled();
      runs[String(windowMs ?? 'default')] = log.outcomes.length;
      if (windowMs !== undefined) expect(await metrics.render()).toMatch(/rotad_signals_absorbed_total\{policy="a",reason="served"\} 1/);
      await scheduler.stop(1000);
    }
    expect(runs).toEqual({ '60000': 2, default: 3 });
  });
});

describe('scheduler: requests for more policies than there are slots', () => {
  it('serves `rotad rotate --all` for every policy, though a pass stops reading once every slot is taken', async () => {
    const gauge = { now: 0, max: 0, perPolicy: new Map<string, number>() };
    const log = outcomeLog();
    const { outcomes } = log;
    const names = ['a', 'b', 'c', 'd', 'e', 'f', 'g'];
    const runtime = runtimeOf(names, gauge, false);
    const scheduler = new Scheduler(runtime.policies, { concurrency: 2, clock: new ManualClock(), logger: silentLogger(), onOutcome: log.onOutcome });
    scheduler.start();
    await log.until(() => outcomes.length >= names.length);
    // Every policy rotated once and is not due for a day; each one's next look is far off.
    await requestRotations(runtime.config, [...runtime.policies.values()], false, Date.now());
    void scheduler.wake();
    await log.until(() => outcomes.length >= 2 * names.length);
    await scheduler.settled();
    await scheduler.stop(1000);
    expect(outcomes).toHaveLength(2 * names.length);
    for (const name of names) expect(outcomes.filter((o) => o === `${name}:completed`)).toHaveLength(2);
    expect(gauge.max).toBe(2);
  });
});

describe('scheduler: a signal or a request does not wait for a pass over every policy', () => {
  it('looks at the signalled policy first, then the others', async () => {
    const gauge = { now: 0, max: 0, perPolicy: new Map<string, number>() };
    const names = Array.from({ length: 50 }, (_, i) => `p${String(i).padStart(2, '0')}`);
    const runtime = runtimeOf(names, gauge, false);
    const signalled = 'p49';
    runtime.policies.get(signalled)!.settings.rotateOnSignal = true;
    const reads: string[] = [];
    for (const [name, policy] of runtime.policies) {
      const store = policy.store as MemoryStore;
      // Rotated a minute ago: nothing is due.
      store.current = { value: new Secret(`seed-value-${name}`), rotationId: `seed-${name}`, createdAt: Date.now() - 60_000 };
      store.state = { ...store.state, lastRotatedAt: Date.now() - 60_000, lastRotationId: `seed-${name}` };
      const read = store.read.bind(store);
      store.read = async () => {
        reads.push(name);
        return read();
      };
    }
    const log = outcomeLog();
    const scheduler = new Scheduler(runtime.policies, { concurrency: 2, clock: new ManualClock(), logger: silentLogger(), onOutcome: log.onOutcome });
    scheduler.start();
    await scheduler.settled();
    expect(reads).toEqual(names);
    reads.length = 0;
    expect(scheduler.signalRotation()).toEqual([signalled]);
    await log.until(() => log.outcomes.includes(`${signalled}:completed`));
    expect(reads[0]).toBe(signalled);
    // The rest are not due and were read at the start: the signal does not read them again.
    await scheduler.settled();
    expect(new Set(reads)).toEqual(new Set([signalled]));
    await scheduler.stop(1000);
  });

  it('reads a policy that is not due once per rescanEvery, not on every pass', async () => {
    const gauge = { now: 0, max: 0, perPolicy: new Map<string, number>() };
    const names = ['a', 'b', 'c'];
    const runtime = runtimeOf(names, gauge, false);
    const reads: Array<{ name: string; at: number }> = [];
    const clock = new ManualClock();
    for (const [name, policy] of runtime.policies) {
      const store = policy.store as MemoryStore;
      store.current = { value: new Secret(`seed-value-${name}`), rotationId: `seed-${name}`, createdAt: Date.now() - 60_000 };
      store.state = { ...store.state, lastRotatedAt: Date.now() - 60_000, lastRotationId: `seed-${name}` };
      const read = store.read.bind(store);
      store.read = async () => {
        reads.push({ name, at: clock.now() });
        return read();
      };
    }
    const started = clock.now();
    const scheduler = new Scheduler(runtime.policies, { concurrency: 2, clock, logger: silentLogger(), rescanMs: 1_000 });
    scheduler.start();
    await scheduler.settled();
    void scheduler.wake([]); // a pass with nothing due reads nothing
    await scheduler.settled();
    expect(reads.map((r) => r.name).sort()).toEqual(names);
    // Each one's rescan falls in the last half of rescanEvery (a fixed offset per name), not before.
    await clock.advance(499);
    await scheduler.settled();
    expect(reads).toHaveLength(3);
    await clock.advance(501);
    await scheduler.settled();
    await scheduler.stop(1000);
    const again = reads.slice(3);
    expect(again.map((r) => r.name).sort()).toEqual(names);
    for (const read of again) expect(read.at - started).toBeGreaterThan(500);
  });
});

describe('scheduler: daemon.providerLimits concurrency', () => {
  it('runs at most the limit of one provider type at once, while the rest of the fleet uses the other slots', async () => {
    const limited = { now: 0, max: 0, perPolicy: new Map<string, number>() };
    const others = { now: 0, max: 0, perPolicy: new Map<string, number>() };
    const log = outcomeLog();
    const slow = runtimeOf(['a', 'b', 'c', 'd'], limited, false).policies;
    const free = runtimeOf(['e', 'f'], others, false).policies;
    const policies = new Map([...[...slow].map(([name, p]) => [name, { ...p, providerSlots: { group: 'gladly', limit: 1 } }] as const), ...free]);
    const scheduler = new Scheduler(policies, { concurrency: 4, clock: new ManualClock(), logger: silentLogger(), onOutcome: log.onOutcome });
    scheduler.start();
    await log.until(() => log.outcomes.length >= 6);
    await scheduler.settled();
    await scheduler.stop(1000);
    expect(log.outcomes.sort()).toEqual(['a', 'b', 'c', 'd', 'e', 'f'].map((n) => `${n}:completed`));
    expect(limited.max).toBe(1);
    expect(others.max).toBe(2);
  });
});
