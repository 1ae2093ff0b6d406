import { durationMs } from '../duration-text.js';
import { formatDuration } from '../duration.js';
import type { Problem } from './issues.js';
import { formatPath, type ConfigPath } from './locate.js';
import type { RotadConfig } from './schema.js';

/** The shortest lease that means anything: a lease of 0s is expired for every other replica the moment it is written. */
const MIN_LEASE_MS = 1_000;

interface CallTimeout {
  path: ConfigPath;
  ms: number;
}

/**
 * The `timeout` of an adapter's options, where it has one (defaults applied). A wait made of many
 * requests (a rollout's `rolloutTimeout`) is not one call: it renews the lease between them.
 */
function timeoutOf(options: object, path: ConfigPath): CallTimeout[] {
  const text = (options as Record<string, unknown>).timeout;
  return typeof text === 'string' ? [{ path: [...path, 'timeout'], ms: durationMs(text) }] : [];
}

/**
 * Every call rotad makes while it holds a policy's lease, with its timeout: store, provider and
 * consumer requests. (The file store has none: it is local and serves one daemon.)
 */
function callTimeouts(config: RotadConfig): CallTimeout[] {
  return [
    ...Object.entries(config.stores).flatMap(([name, store]) => timeoutOf(store, ['stores', name])),
    ...config.policies.flatMap((policy, index) => [
      ...timeoutOf(policy.provider, ['policies', index, 'provider']),
      ...policy.consumers.flatMap((consumer, c) => timeoutOf(consumer, ['policies', index, 'consumers', c])),
    ]),
  ];
}

/**
 * `daemon.lease` at least twice the longest call timeout (docs/one-writer.md): a side effect starts
 * only with half a lease left, so a call that takes its whole timeout still lands before another
 * rotad may take the policy over. Also never under 1s.
 */
export function leaseLongEnough(config: RotadConfig): Problem[] {
  const leaseMs = durationMs(config.daemon.lease);
  const path: ConfigPath = ['daemon', 'lease'];
  if (leaseMs < MIN_LEASE_MS)
    return [
      {
        path,
        message: `daemon.lease: ${config.daemon.lease} is too short: a lease must be at least 1s (default 60s), or it has run out for every other rotad when written`,
      },
    ];
  const longest = callTimeouts(config).reduce<CallTimeout | undefined>((max, t) => (max === undefined || t.ms > max.ms ? t : max), undefined);
  if (longest === undefined || leaseMs >= 2 * longest.ms) return [];
  return [
    {
      path,
      message: `daemon.lease: ${config.daemon.lease} is shorter than twice the longest call timeout, ${formatPath(longest.path)} (${formatDuration(longest.ms)}): a call started with half a lease left could land after another rotad took the policy over. Set daemon.lease to at least ${formatDuration(2 * longest.ms)}, or shorten that timeout`,
    },
  ];
}
