import type { Clock } from '../clock.js';
import { describeError, RotadError } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import type { Notifier, RotationEvent } from './types.js';

interface DeliveryOptions {
  name: string;
  notifier: Notifier;
  /** Event types this notifier wants; undefined = all. */
  events?: readonly string[] | undefined;
  clock: Clock;
  logger: Logger;
  /** Attempts per event. Default: 6 (about 1 minute of backoff). */
  attempts?: number | undefined;
  /** Called after each event with the outcome, for metrics. */
  onOutcome?: ((notifier: string, outcome: 'delivered' | 'failed' | 'dropped') => void) | undefined;
}

const MAX_QUEUED = 500;

/**
 * A notifier behind a queue: `send` returns at once, delivery happens in the background with
 * exponential backoff, so a notifier that is down never blocks or fails a rotation.
 */
/**
 * Whether a notifier with this `events` list gets an event. A withdrawal goes wherever requests
 * go: a person who was asked in a channel learns there that the request no longer stands.
 */
export function wants(events: readonly string[] | undefined, type: RotationEvent['type']): boolean {
  if (events === undefined || events.includes(type)) return true;
  return type === 'request-withdrawn' && (events.includes('action-required') || events.includes('action-overdue'));
}

export class DeliveryQueue {
  readonly #options: DeliveryOptions;
  readonly #queue: RotationEvent[] = [];
  #draining: Promise<void> | undefined;
  /** True from the moment a drain starts until it has seen the queue empty (set and cleared synchronously). */
  #active = false;
  readonly #abort = new AbortController();

  constructor(options: DeliveryOptions) {
    this.#options = options;
  }

  send(event: RotationEvent): void {
    if (!wants(this.#options.events, event.type) && !this.#options.notifier.sees?.(event)) return;
    if (this.#queue.length >= MAX_QUEUED) {
      this.#queue.shift();
      this.#options.onOutcome?.(this.#options.name, 'dropped');
      this.#options.logger.warn({ notifier: this.#options.name }, 'Notification queue full, oldest event dropped');
    }
    this.#queue.push(event);
    if (!this.#active) {
      this.#active = true;
      this.#draining = this.#drain();
    }
  }

  async #drain(): Promise<void> {
    try {
      for (let event = this.#queue.shift(); event; event = this.#queue.shift()) await this.#deliver(event);
    } finally {
      // No await between the empty queue and this line, so a send() can never find a drain that is about to stop.
      this.#active = false;
    }
  }

  async #deliver(event: RotationEvent): Promise<void> {
    const { notifier, clock, logger, name } = this.#options;
    const attempts = this.#options.attempts ?? 6;
    for (let attempt = 1; ; attempt += 1) {
      try {
        await notifier.notify(event);
        this.#options.onOutcome?.(name, 'delivered');
        return;
      } catch (error) {
        // A message the endpoint refused as such would be refused again.
        const refused = error instanceof RotadError && error.code === 'NOTIFIER_REFUSED';
        if (attempt >= attempts || refused || this.#abort.signal.aborted) {
          this.#options.onOutcome?.(name, 'failed');
          logger.error(
            { notifier: name, event: event.type, policy: event.policy, error: describeError(error), attempts: attempt },
            'Notification could not be delivered',
          );
          return;
        }
        const delayMs = Math.min(30_000, 500 * 2 ** (attempt - 1));
        logger.warn({ notifier: name, event: event.type, attempt, delayMs, error: describeError(error) }, 'Notification failed, retrying');
        await clock.sleep(delayMs, this.#abort.signal).catch(() => undefined);
      }
    }
  }

  /** Waits up to `timeoutMs` for queued events, then stops retrying. */
  async close(timeoutMs: number): Promise<void> {
    const pending = this.#active ? this.#draining : undefined;
    if (pending) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        pending,
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, timeoutMs);
        }),
      ]);
      clearTimeout(timer);
    }
    this.#abort.abort();
  }
}
