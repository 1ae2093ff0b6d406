import { systemClock } from '../clock.js';
import type { ResolvedConfig } from '../config/normalize.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { ReplicaRoster } from '../scheduler/replica-roster.js';
import { timersOf } from '../scheduler/scheduler-timers.js';
import type { Runtime } from '../wiring/runtime.js';

/** The roster of `daemon.sharding`, on the store of the moment (a reload swaps the adapters; the store's name stays). */
export function replicaRoster(
  sharding: NonNullable<ResolvedConfig['daemon']['sharding']>,
  live: { runtime: Runtime },
  owner: string,
  logger: Logger,
  metrics: Metrics,
  onChange: () => void,
): ReplicaRoster {
  const store = () => {
    const found = live.runtime.stores.get(sharding.storeName);
    if (!found?.readRoster || !found.updateRoster) throw new Error(`store ${sharding.storeName} keeps no replica roster`);
    return { readRoster: found.readRoster.bind(found), updateRoster: found.updateRoster.bind(found) };
  };
  return new ReplicaRoster({
    store,
    owner,
    clock: systemClock,
    timers: timersOf(systemClock),
    heartbeatMs: sharding.heartbeatMs,
    logger,
    onChange,
    onReplicas: (count) => metrics.replicas(count),
  });
}
