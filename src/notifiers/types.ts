/** Every event type, in the order a rotation meets them (docs/design.md, "Expiry and alerts"). */
export const EVENT_TYPES = [
  'rotation-started',
  'rotation-succeeded',
  'action-required',
  'action-overdue',
  'request-withdrawn',
  'revocation-confirmed',
  'needs-attention',
  'rotation-rolled-back',
  'rotation-aborted',
  'rotation-overdue',
  'expiry-warning',
  'credential-expired',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** What humans hear about. Never carries a credential (a hand-over link is the one capability it may carry). */
export interface RotationEvent {
  type: EventType;
  policy: string;
  rotationId?: string | undefined;
  phase?: string | undefined;
  /** Stable error code, for failures. */
  code?: string | undefined;
  /** What happened and, for a person, what to do. */
  message: string;
  /** Epoch ms. */
  at: number;
  /** Epoch ms at which the current credential expires (expiry events). */
  expiresAt?: number | undefined;
  /** Epoch ms by which a person should act (action-required, action-overdue). */
  deadline?: number | undefined;
  /** The warning threshold that was crossed, e.g. `7d` (expiry warnings). */
  threshold?: string | undefined;
  /**
   * A one-time hand-over link for the person asked for a token (action-required). It opens the
   * page that takes the token; notifiers that reach people show it, the log notifier never does.
   */
  handoverUrl?: string | undefined;
  /**
   * An alert an incident tool keeps open until it is resolved (PagerDuty's dedup key, under the
   * policy): `rotation/<id>` for a rotation that needs a person (needs-attention, action-overdue),
   * `<credential's rotation id>:expired`, `overdue:<last rotation id>`.
   */
  alertKey?: string | undefined;
  /** Alerts (by `alertKey`) this event ends: a completed rotation ends its own, the expiry of the credential it replaced, and the overdue. */
  resolvesAlerts?: readonly string[] | undefined;
  /** Set on every event of an incident rotation: why, and who asked. Urgent: a person's request also goes to the escalation notifiers. */
  incident?: { reason: string; actor: string } | undefined;
}

export interface Notifier {
  /** Delivers an event; throws when delivery failed (the queue in front of it retries). */
  notify(event: RotationEvent): Promise<void>;
  /**
   * Events it is given even when its `events` filter leaves them out: it only updates what it
   * posted earlier with them (Slack's interactive messages lose their buttons once a request ends).
   */
  sees?(event: RotationEvent): boolean;
}
