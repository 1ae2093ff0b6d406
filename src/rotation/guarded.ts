import type { Provider } from '../providers/types.js';
import type { Store } from '../stores/types.js';
import type { PolicyRuntime } from './context.js';

/** The store calls that change something (reads and the state record itself are not guarded here). */
const STORE_CHANGES = ['stagePending', 'discardPending', 'promote', 'rollback', 'markPreviousRevoked', 'takeHandover', 'clearHandover'] as const;
const PROVIDER_CALLS = ['obtain', 'verify', 'revoke', 'isRejected'] as const;

function guard<T extends object>(target: T, names: readonly string[], check: () => Promise<void>): T {
  const wrapped: Record<string, unknown> = {};
  for (const name of names) {
    const method = (target as Record<string, unknown>)[name];
    if (typeof method !== 'function') continue;
    wrapped[name] = async (...args: unknown[]): Promise<unknown> => {
      await check();
      return (method as (...a: unknown[]) => unknown).apply(target, args);
    };
  }
  return Object.assign(Object.create(target) as T, wrapped);
}

/**
 * The policy runtime a step sees while its engine holds the lease: every call to the store (other
 * than reads), the provider or a consumer first awaits `check` (the lease is still this engine's,
 * with time to run), so a writer that lost the policy stops before its next side effect.
 */
export function guardedRuntime(runtime: PolicyRuntime, check: () => Promise<void>): PolicyRuntime {
  const provider: Provider = guard(runtime.provider, PROVIDER_CALLS, check);
  const assisted = runtime.provider.assisted;
  if (assisted) Object.defineProperty(provider, 'assisted', { value: guard(assisted, ['accept'], check) });
  return {
    ...runtime,
    store: guard<Store>(runtime.store, STORE_CHANGES, check),
    provider,
    consumers: runtime.consumers.map(({ key, consumer }) => ({ key, consumer: guard(consumer, ['update'], check) })),
  };
}
