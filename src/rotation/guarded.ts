import type { Provider } from '../providers/types.js';
import type { Store } from '../stores/types.js';
import type { PolicyRuntime } from './context.js';

/** The store calls that change something (reads and the state record itself are not guarded here). */
const STORE_CHANGES = ['stagePending', 'discardPending', 'promote', 'rollback', 'markPreviousRevoked', 'takeHandover', 'clearHandover'] as const;
const PROVIDER_CALLS = ['obtain', 'verify', 'revoke', 'isRejected'] as const;

/** `target` with the methods in `names` made to await `check` first; every other member reads through (methods bound to `target`). */
function guard<T extends object>(target: T, names: readonly string[], check: () => Promise<void>, overrides: Record<string, unknown> = {}): T {
  return new Proxy(target, {
    get(object, property) {
      if (typeof property === 'string' && property in overrides) return overrides[property];
      const member: unknown = Reflect.get(object, property, object);
      if (typeof member !== 'function') return member;
      const method = member as (...args: unknown[]) => unknown;
      if (typeof property === 'string' && names.includes(property)) {
        return async (...args: unknown[]): Promise<unknown> => {
          await check();
          return method.apply(object, args);
        };
      }
      return method.bind(object);
    },
  });
}

/**
 * The policy runtime a step sees while its engine holds the lease: every call to the store (other
 * than reads), the provider or a consumer, and every notification, first awaits `check` (the lease is still this engine's,
 * with time to run), so a writer that lost the policy stops before its next side effect.
 */
export function guardedRuntime(runtime: PolicyRuntime, check: () => Promise<void>): PolicyRuntime {
  const assisted = runtime.provider.assisted;
  const provider: Provider = guard(runtime.provider, PROVIDER_CALLS, check, assisted ? { assisted: guard(assisted, ['accept'], check) } : {});
  return {
    ...runtime,
    store: guard<Store>(runtime.store, STORE_CHANGES, check),
    provider,
    consumers: runtime.consumers.map(({ key, consumer }) => ({ key, consumer: guard(consumer, ['update'], check) })),
    // A request or reminder to a person is a side effect too: one decided before the process
    // stalled must not go out after another writer (a rollback) changed what is asked.
    notify: async (event) => {
      await check();
      return runtime.notify(event);
    },
  };
}
