import { SaasServer, type Reply, type Request } from '../../../servers/saas/base.js';

/** One alert as PagerDuty keeps it, by dedup key: open until a resolve with the same key and routing key. */
export interface PagerDutyAlert {
  dedupKey: string;
  status: 'triggered' | 'resolved';
  /** Trigger events received for it (PagerDuty appends each to the alert's log). */
  triggers: number;
  summary: string;
  severity: string;
  source: string;
  links: Array<{ href: string; text?: string }>;
  customDetails: Record<string, unknown>;
}

const SEVERITIES = ['critical', 'error', 'warning', 'info'];

/**
 * PagerDuty's Events API v2 (developer.pagerduty.com, "Send an Alert Event"): POST /v2/enqueue with
 * `routing_key` (the 32-character integration key), `event_action` (trigger, acknowledge,
 * resolve), `dedup_key` (at most 255 characters) and, for a trigger, `payload.summary` (at most
 * 1024), `payload.source`, `payload.severity` (critical, error, warning, info). Answered 202
 * `{ status: "success", message: "Event processed", dedup_key }`, or 400 `{ status: "invalid event",
 * message, errors }`. A trigger opens the alert of its dedup key or adds to the open one; a
 * resolve closes it; a resolve or acknowledge of no open alert is dropped (still 202). A trigger
 * after a resolve opens a new alert. Faults (429, 500) come from the base's fault routes.
 */
export class PagerDutyServer extends SaasServer {
  /** Every alert ever opened, oldest first (a key resolved then triggered again has two). */
  readonly alerts: PagerDutyAlert[] = [];
  /** Events accepted (202), in order: what each did. */
  readonly accepted: Array<{ action: string; dedupKey: string }> = [];

  constructor(readonly routingKey: string) {
    super();
  }

  get enqueueUrl(): string {
    return `${this.url}/v2/enqueue`;
  }

  open(dedupKey: string): PagerDutyAlert | undefined {
    return this.alerts.find((a) => a.dedupKey === dedupKey && a.status === 'triggered');
  }

  protected admin(): Reply {
    return { status: 200, body: this.alerts };
  }

  protected handle(request: Request): Reply {
    if (request.path !== '/v2/enqueue' || request.method !== 'POST') return { status: 404, body: { status: 'not found' } };
    const body = (request.body ?? {}) as Record<string, unknown>;
    const payload = (body.payload ?? {}) as Record<string, unknown>;
    const errors: string[] = [];
    if (typeof body.routing_key !== 'string' || body.routing_key.length !== 32) errors.push('routing_key must be the 32 character integration key');
    else if (body.routing_key !== this.routingKey) errors.push('Invalid routing key');
    if (!['trigger', 'acknowledge', 'resolve'].includes(String(body.event_action))) errors.push('event_action must be trigger, acknowledge or resolve');
    const dedupKey = body.dedup_key;
    if (dedupKey !== undefined && (typeof dedupKey !== 'string' || dedupKey.length > 255)) errors.push('dedup_key must be a string of at most 255 characters');
    if (body.event_action !== 'trigger' && typeof dedupKey !== 'string') errors.push('dedup_key is required for acknowledge and resolve');
    if (body.event_action === 'trigger') {
      if (typeof payload.summary !== 'string' || payload.summary === '' || payload.summary.length > 1024)
        errors.push('payload.summary is required (at most 1024 characters)');
      if (typeof payload.source !== 'string' || payload.source === '') errors.push('payload.source is required');
      if (!SEVERITIES.includes(String(payload.severity))) errors.push('payload.severity must be critical, error, warning or info');
    }
    if (errors.length > 0) return { status: 400, body: { status: 'invalid event', message: 'Event object is invalid', errors } };
    const key = typeof dedupKey === 'string' ? dedupKey : `generated-${this.alerts.length}`;
    const open = this.open(key);
    if (body.event_action === 'trigger') {
      const fields = {
        summary: String(payload.summary),
        severity: String(payload.severity),
        source: String(payload.source),
        links: Array.isArray(body.links) ? (body.links as PagerDutyAlert['links']) : [],
        customDetails: (payload.custom_details ?? {}) as Record<string, unknown>,
      };
      if (open) Object.assign(open, fields, { triggers: open.triggers + 1 });
      else this.alerts.push({ dedupKey: key, status: 'triggered', triggers: 1, ...fields });
    } else if (body.event_action === 'resolve' && open) {
      open.status = 'resolved';
    }
    this.accepted.push({ action: String(body.event_action), dedupKey: key });
    return { status: 202, body: { status: 'success', message: 'Event processed', dedup_key: key } };
  }
}
