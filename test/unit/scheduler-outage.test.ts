import { describe, expect, it } from 'vitest';
import { RotadError } from '../../src/errors.js';
import { Metrics } from '../../src/observability/metrics.js';
import { silentLogger } from '../../src/observability/logger.js';
import { Scheduler } from '../../src/scheduler/scheduler.js';
import { MemoryStore } from '../sim/memory-store.js';
import type { SideEffectCheck } from '../sim/parts.js';
import { sharedRun, startReplica } from '../sim/replica.js';
import { World } from '../sim/world.js';

/** One replica on the simulation's world, its store down from the start: virtual time, no sleeps. */
function outage(seconds: number) {
  const world = new World(7);
  const store = new MemoryStore();
  const check = (() => undefined) as unknown as SideEffectCheck;
  check.violation = () => undefined;
  check.recorded = () => false;
  const shared = sharedRun(world, store, check, { policies: ['p'], consumers: 1, graceMs: 0, leaseMs: 60_000, faults: { store: 0, provider: 0, consumer: 0 } });
  store.down = true;
  const reads: number[] = [];
  const read = store.read.bind(store);
  store.read = async (ref) => {
    reads.push(world.now);
    return read(ref);
  };
  const start = world.now;
  world.at(start + seconds * 1000, 'test', 'store up', () => {
    store.down = false;
  });
  return { world, store, shared, reads, start };
}

describe('scheduler during a store outage', () => {
  it('retries at the backoff it logs (5s, then 30s), not at the next minute; recovers by itself', async () => {
    const { world, shared, reads, start } = outage(20);
    startReplica(shared, 'r');
    await world.run(start + 10 * 60_000, () => undefined, 10_000);
    const looks = reads.map((t) => Math.round((t - start) / 1000));
    expect(looks.slice(0, 3)).toEqual([0, 5, 35]);
    expect(shared.store.entry('p').state.lastRotationId, 'rotated once the store was back').toBeDefined();
    expect(shared.deliveries).toHaveLength(1);
  });

  it('says so at once in the metrics, and alerts once per outage (from memory: the store cannot record it)', async () => {
    const { world, shared, start } = outage(200);
    const metrics = new Metrics();
    // A replica whose scheduler exports metrics: the sim's replica with the metrics option set.
    const { policies } = startReplica(shared, 'r');
    const scheduler = new Scheduler(policies, { concurrency: 1, clock: world.clockFor('m'), logger: silentLogger(), metrics, timers: world.timersFor('m') });
    scheduler.start();
    await world.run(start + 1_000, () => undefined, 10_000);
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/rotad_policy_ready\{policy="p"\} 0/);
    expect(text).toMatch(/rotad_needs_attention\{policy="p"\} 1/);
    await world.run(start + 190_000, () => undefined, 10_000);
    const alerts = shared.notifications.filter((n) => n.type === 'needs-attention' && n.message.includes('cannot process this policy'));
    expect(alerts.length, 'one alert per replica, not one per attempt').toBe(2);
    expect(alerts[0]?.code).toBe('STORE_UNREACHABLE');
  });
});

describe('a signal is never dropped', () => {
  it('when the store refuses the write that records it (busy, down), the next look records it and rotates', async () => {
    const { world, store, shared, start } = outage(0);
    let refuse = 0;
    const writeState = store.writeState.bind(store);
    store.writeState = async (...args) => {
      if (refuse > 0) {
        refuse -= 1;
        throw new RotadError('STORE_BUSY', 'file store lock held by another process for more than 10 s', { retryable: true });
      }
      return writeState(...args);
    };
    const scheduler = startReplica(shared, 'r');
    await world.run(start + 60_000, () => undefined, 10_000);
    expect(shared.deliveries).toHaveLength(1); // the first rotation
    refuse = 1;
    scheduler.signalRotation();
    await world.run(world.now + 5 * 60_000, () => undefined, 10_000);
    expect(refuse).toBe(0);
    expect(shared.deliveries, 'the signal was served once the store took the write').toHaveLength(2);
  });
});
