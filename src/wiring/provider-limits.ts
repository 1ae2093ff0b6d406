import type { Clock } from '../clock.js';
import type { ResolvedConfig } from '../config/normalize.js';
import { sharedLimiter } from '../http/rate-limit.js';
import type { Provider } from '../providers/types.js';

/** Every provider method that calls the vendor: the rotation's steps, the check that a revoked credential is refused, `rotad check`. */
const VENDOR_CALLS: ReadonlySet<string> = new Set<keyof Provider>(['obtain', 'verify', 'revoke', 'isRejected', 'check']);

type Limits = ResolvedConfig['daemon']['providerLimits'];

/**
 * `perSecond` as a sliding window: a whole number of calls in a window that gives that rate
 * (5 a second: 5 in 1 s; 0.5 a second: 1 in 2 s; 2.5 a second: 2 in 800 ms).
 */
export function rateWindow(perSecond: number): { limit: number; windowMs: number } {
  const limit = Math.max(1, Math.floor(perSecond));
  return { limit, windowMs: Math.round((1_000 * limit) / perSecond) };
}

/**
 * The provider with `daemon.providerLimits.<type>.perSecond` kept: each call to the vendor waits for its turn in one window shared by every policy of the type. A proxy, so an
 * adapter written as a class keeps its other members. Without a rate set, the provider itself.
 */
export function pacedProvider(provider: Provider, type: string, limits: Limits, clock: Clock): Provider {
  const perSecond = limits[type]?.perSecond;
  if (perSecond === undefined) return provider;
  const { limit, windowMs } = rateWindow(perSecond);
  // Keyed by the rate too: a reload that changes it gets a window of its own.
  const limiter = sharedLimiter(`provider-limits:${type}:${limit}/${windowMs}`, limit, windowMs, clock);
  return new Proxy(provider, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== 'function') return value;
      const method = value as (...a: unknown[]) => unknown;
      if (typeof property !== 'string' || !VENDOR_CALLS.has(property)) return method.bind(target);
      return async (...args: unknown[]) => {
        await limiter.take();
        return method.apply(target, args);
      };
    },
  });
}

/** `daemon.providerLimits.<type>.concurrency`, as the scheduler counts it. */
export function providerSlots(type: string, limits: Limits): { group: string; limit: number } | undefined {
  const concurrency = limits[type]?.concurrency;
  return concurrency === undefined ? undefined : { group: type, limit: concurrency };
}
