import { isRetryable, StoreConflictError } from '../errors.js';
import type { PolicyRuntime } from '../rotation/context.js';
import type { PolicyState } from '../policy-state.js';
import { recordRetryDelay } from '../stores/state-record.js';

/** A running rotation writes its state about once per step; this many tries (about 10 s in all) get between its writes. */
const CLI_WRITE_ATTEMPTS = 12;
const CLI_TRANSIENT_ATTEMPTS = 4;

/**
 * Changes the policy's state from outside the engine (a CLI command, the control API) while the daemon may be writing it too: read,
 * change, compare-and-swap, and on a lost race read again. `change` returns undefined to leave
 * the state as it is (e.g. the rotation it was meant for has moved on).
 */
async function updateState(policy: PolicyRuntime, change: (state: PolicyState) => PolicyState | undefined): Promise<void> {
  for (let attempt = 1; ; attempt += 1) {
    const snapshot = await policy.store.read(policy.ref);
    const next = change(snapshot.state);
    if (next === undefined) return;
    try {
      await policy.store.writeState(policy.ref, next, snapshot.revision);
      return;
    } catch (error) {
      // A daemon working on the policy writes its state at every step: back off and read again. A
      // store error that may pass (a 5xx, a timeout) is tried again the same way, a few times.
      const again = error instanceof StoreConflictError || (isRetryable(error) && attempt < CLI_TRANSIENT_ATTEMPTS);
      if (!again || attempt >= CLI_WRITE_ATTEMPTS) throw error;
      await policy.clock.sleep(recordRetryDelay(attempt, policy.random));
    }
  }
}

/** Records a manual request in the policy's state. */
export function recordRequest(policy: PolicyRuntime, now: number): Promise<void> {
  // A request written again (its first write landed but the answer was lost) after a rotation
  // started for it is served already: it does not ask for another one.
  return updateState(policy, (state) => (served(state, now) ? undefined : { ...state, requestedAt: now }));
}

/** Whether a rotation that a request started began at or after `at` (running now, or completed). */
function served(state: PolicyState, at: number): boolean {
  const requested = state.trigger === 'cli' || state.trigger === 'signal';
  const running = state.phase !== 'idle' && requested && (state.startedAt ?? -Infinity) >= at;
  return running || (state.lastRequestedStartAt ?? -Infinity) >= at;
}
