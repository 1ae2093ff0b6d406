import type { AdapterDefinition } from '../../adapters/definition.js';
import { durationMs } from '../../duration-text.js';
import { registerSecretValue } from '../../secret.js';
import { HEADLINES } from '../common.js';
import { postJson, secretFrom } from '../http-post.js';
import type { Notifier, RotationEvent } from '../types.js';
import { PagerDutyNotifierOptions } from './schema.js';

/** The events that open (or update) a PagerDuty alert: a person must act. */
const OPENING = ['needs-attention', 'action-overdue', 'rotation-overdue', 'credential-expired'] as const;
type Opening = (typeof OPENING)[number];
const isOpening = (type: RotationEvent['type']): type is Opening => (OPENING as readonly string[]).includes(type);

/** PagerDuty's limits: dedup_key 255 characters, summary 1024. */
const dedupKey = (policy: string, alertKey: string): string => `rotad/${policy}/${alertKey}`.slice(0, 255);
const SUMMARY_MAX = 1024;

function fill(template: string, event: RotationEvent): string {
  return template.replaceAll('{policy}', encodeURIComponent(event.policy)).replaceAll('{code}', encodeURIComponent(event.code ?? ''));
}

/** The trigger event of an opening one: the summary a responder reads first, the facts, the links. */
function triggerBody(
  options: PagerDutyNotifierOptions,
  routingKey: string,
  event: RotationEvent & { type: Opening },
  alertKey: string,
): Record<string, unknown> {
  const summary = `${HEADLINES[event.type]}: ${event.policy} — ${event.message.split('\n')[0]}`;
  const links = [
    options.links.dashboard && { href: fill(options.links.dashboard, event), text: `rotad: ${event.policy}` },
    options.links.runbook && { href: fill(options.links.runbook, event), text: 'Runbook' },
  ].filter(Boolean);
  return {
    routing_key: routingKey,
    event_action: 'trigger',
    dedup_key: dedupKey(event.policy, alertKey),
    client: 'rotad',
    ...(options.links.dashboard && { client_url: fill(options.links.dashboard, event) }),
    payload: {
      summary: summary.length > SUMMARY_MAX ? `${summary.slice(0, SUMMARY_MAX - 1)}…` : summary,
      source: options.source,
      severity: options.severity[event.type],
      timestamp: new Date(event.at).toISOString(),
      component: event.policy,
      group: 'rotad',
      class: event.type,
      custom_details: {
        policy: event.policy,
        message: event.message,
        ...(event.rotationId && { rotation: event.rotationId }),
        ...(event.phase && { phase: event.phase }),
        ...(event.code && { code: event.code }),
        ...(event.deadline !== undefined && { deadline: new Date(event.deadline).toISOString() }),
        ...(event.expiresAt !== undefined && { expiresAt: new Date(event.expiresAt).toISOString() }),
        ...(event.incident && { incident: event.incident.reason, askedBy: event.incident.actor }),
      },
    },
    ...(links.length > 0 && { links }),
  };
}

/**
 * PagerDuty Events API v2: an alert opens when a person must act (a stopped rotation, an overdue
 * request, an overdue rotation, an expired credential), one per policy and rotation (its dedup
 * key), and is resolved by the event that ends it (the rotation completing, a rollback). 429 and
 * 5xx are retried with backoff; a 400 (a wrong routing key, a refused field) is not.
 */
function createPagerDutyNotifier(options: PagerDutyNotifierOptions): Notifier {
  const timeoutMs = durationMs(options.timeout);
  const send = (body: Record<string, unknown>): Promise<void> => postJson(options.url, body, {}, timeoutMs);
  return {
    notify: async (event) => {
      const routingKey = secretFrom(options.routingKeyEnv, () => undefined, 'the PagerDuty routing key');
      registerSecretValue(routingKey);
      if (isOpening(event.type)) {
        const alertKey = event.alertKey ?? (event.rotationId === undefined ? event.type : `rotation/${event.rotationId}`);
        await send(triggerBody(options, routingKey, event as RotationEvent & { type: Opening }, alertKey));
      }
      for (const alertKey of event.resolvesAlerts ?? [])
        await send({ routing_key: routingKey, event_action: 'resolve', dedup_key: dedupKey(event.policy, alertKey) });
    },
  };
}

export const pagerdutyNotifier = {
  type: 'pagerduty',
  schema: PagerDutyNotifierOptions,
  create: createPagerDutyNotifier,
  requiredEnv: (options) => [{ key: ['routingKeyEnv'], name: options.routingKeyEnv, what: 'the PagerDuty Events API v2 routing key' }],
} satisfies AdapterDefinition<typeof PagerDutyNotifierOptions, Notifier>;
