import type { Clock } from '../clock.js';
import type { Consumer } from '../consumers/types.js';
import type { Notifier, RotationEvent } from '../notifiers/types.js';
import type { Logger } from '../observability/logger.js';
import type { Provider } from '../providers/types.js';
import type { PolicyRef, Store } from '../stores/types.js';
import type { RetryPolicy } from './retry.js';
import type { Phase, PolicyState } from './state.js';

/** A consumer with the stable key under which its confirmation is recorded. */
export interface KeyedConsumer {
  key: string;
  consumer: Consumer;
}

/** Test-only fault injection: called at each phase boundary (see daemon/faults.ts). */
export type FaultHook = (moment: 'before' | 'after', phase: Phase) => void;

/** Everything the engine needs for one policy. */
export interface PolicyRuntime {
  name: string;
  /** The policy as its store knows it (name, path, field). */
  ref: PolicyRef;
  graceMs: number;
  store: Store;
  provider: Provider;
  consumers: readonly KeyedConsumer[];
  notify: (event: Omit<RotationEvent, 'at' | 'policy'>) => Promise<void>;
  logger: Logger;
  clock: Clock;
  retry: RetryPolicy;
  faults?: FaultHook | undefined;
}

/** What a step sees: the policy, the rotation's state, and a way to save progress inside the step. */
export interface StepContext {
  runtime: PolicyRuntime;
  state: PolicyState;
  rotationId: string;
  logger: Logger;
  signal: AbortSignal;
  /** Persists a change to the state in the middle of a step (e.g. one consumer confirmed). */
  save: (patch: Partial<PolicyState>) => Promise<PolicyState>;
}

/** A step either moves the rotation on (a state patch, including the next phase) or asks to wait. */
export type StepResult = { patch: Partial<PolicyState> } | { waitUntil: number };

export function notifyAll(notifiers: readonly Notifier[], logger: Logger, clock: Clock, policy: string): PolicyRuntime['notify'] {
  return async (event) => {
    await Promise.all(
      notifiers.map((notifier) =>
        notifier.notify({ ...event, policy, at: clock.now() }).catch((error: unknown) => {
          logger.warn({ err: error, event: event.type }, 'Notifier failed');
        }),
      ),
    );
  };
}
