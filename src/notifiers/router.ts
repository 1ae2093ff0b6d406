import type { Clock } from '../clock.js';
import type { Logger } from '../observability/logger.js';
import { DeliveryQueue } from './delivery.js';
import type { Notifier, RotationEvent } from './types.js';

/** Events that also go to a policy's escalation notifiers. */
const ESCALATED = new Set(['rotation-overdue', 'credential-expired', 'action-overdue']);
/** Events of an incident rotation that go to them at once: a person must act now. */
const ESCALATED_IN_INCIDENT = new Set(['action-required', 'needs-attention']);

interface RouterDeps {
  clock: Clock;
  logger: Logger;
  onOutcome?: (notifier: string, outcome: 'delivered' | 'failed' | 'dropped') => void;
}

/** One delivery queue per notifier; routes each policy's events to its notifiers (and escalation list). */
export class NotificationRouter {
  readonly #queues = new Map<string, DeliveryQueue>();

  constructor(
    notifiers: ReadonlyMap<string, { notifier: Notifier; events?: readonly string[] | undefined }>,
    private readonly deps: RouterDeps,
  ) {
    for (const [name, { notifier, events }] of notifiers) {
      this.#queues.set(name, new DeliveryQueue({ name, notifier, events, clock: deps.clock, logger: deps.logger, onOutcome: deps.onOutcome }));
    }
  }

  /** The `notify` function of one policy: returns at once; delivery happens in the background. */
  forPolicy(policy: string, notify: readonly string[], escalate: readonly string[]): (event: Omit<RotationEvent, 'at' | 'policy'>) => Promise<void> {
    return async (event) => {
      const full: RotationEvent = { ...event, policy, at: this.deps.clock.now() };
      const escalated = ESCALATED.has(event.type) || (event.incident !== undefined && ESCALATED_IN_INCIDENT.has(event.type));
      const targets = new Set([...notify, ...(escalated ? escalate : [])]);
      for (const name of targets) this.#queues.get(name)?.send(full);
    };
  }

  /** Gives queued notifications up to `timeoutMs` to go out. */
  async close(timeoutMs: number): Promise<void> {
    await Promise.all([...this.#queues.values()].map((queue) => queue.close(timeoutMs)));
  }
}
