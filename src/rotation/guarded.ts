import type { Provider } from '../providers/types.js';
import type { Store } from '../stores/types.js';
import type { PolicyRuntime } from './context.js';

/** The store calls that change something (reads and the state record itself are not guarded here). */
const STORE_CHANGES = ['stagePending', 'discardPending', 'promote', 'rollback', 'markPreviousRevoked', 'takeHandover', 'clearHandover'] as const;
const PROVIDER_CALLS = ['obtain', 'verify', 'revoke', 'isRejected'] as const;

/** How a guarded call runs: `check` first, then the call inside `during` (the lease watched while it is in flight). */
interface Guard {
  check: () => Promise<void>;
  during: <T>(call: () => Promise<T>) => Promise<T>;
}

/** `target` with the methods in `names` made to await the guard's check first and run inside its watch; every other member reads through (methods bound to `target`). */
function guard<T extends object>(target: T, names: readonly string[], { check, during }: Guard, overrides: Record<string, unknown> = {}): T {
  return new Proxy(target, {
    get(object, property) {
      if (typeof property === 'string' && property in overrides) return overrides[property];
      const member: unknown = Reflect.get(object, property, object);
      if (typeof member !== 'function') return member;
      const method = member as (...args: unknown[]) => unknown;
      if (typeof property === 'string' && names.includes(property)) {
        return async (...args: unknown[]): Promise<unknown> => {
          await check();
          return during(async () => method.apply(object, args));
        };
      }
      return method.bind(object);
    },
  });
}

/**
 * The policy runtime a step sees while its engine holds the lease: every call to the store (other
 * than reads), the provider or a consumer, and every notification, first awaits `check` (the
 * lease is still this engine's, with time to run), so a writer that lost the policy stops before
 * its next side effect; the calls then run inside `during`, which aborts the step's signal (and so
 * the call in flight) if the lease runs out before the call ends.
 */
export function guardedRuntime(runtime: PolicyRuntime, lease: Guard): PolicyRuntime {
  const { check } = lease;
  const assisted = runtime.provider.assisted;
  const provider: Provider = guard(runtime.provider, PROVIDER_CALLS, lease, assisted ? { assisted: guard(assisted, ['accept'], lease) } : {});
  return {
    ...runtime,
    store: guard<Store>(runtime.store, STORE_CHANGES, lease),
    holdLease: check,
    provider,
    consumers: runtime.consumers.map(({ key, consumer }) => ({ key, consumer: guard(consumer, ['update'], lease) })),
    // A request or reminder to a person is a side effect too: one decided before the process
    // stalled must not go out after another writer (a rollback) changed what is asked.
    notify: async (event) => {
      await check();
      return runtime.notify(event);
    },
  };
}
