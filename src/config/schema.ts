import { z } from 'zod';
import { consumerRegistry } from '../consumers/registry.js';
import { notifierRegistry } from '../notifiers/registry.js';
import { providerRegistry } from '../providers/registry.js';
import { storeRegistry } from '../stores/registry.js';
import { DurationText } from '../duration-text.js';
import { LabelKey, LabelValue } from '../labels.js';
import { ApiOptions } from './api-options.js';

/** Names of policies, stores and notifiers: safe in paths, labels and store keys. */
const Name = z.string().regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, {
  error: 'expected a name of lowercase letters, digits, ".", "_" and "-" (at most 63, starting with a letter or digit)',
});

function unionOf<T extends Record<string, { schema: z.ZodType }>>(registry: T) {
  const schemas = Object.values(registry).map((definition) => definition.schema) as [z.ZodType, ...z.ZodType[]];
  return z.discriminatedUnion('type', schemas as never) as unknown as z.ZodType<z.infer<T[keyof T]['schema']>>;
}

const ProviderOptions = unionOf(providerRegistry);
const StoreOptions = unionOf(storeRegistry);
const ConsumerOptions = unionOf(consumerRegistry);
const NotifierOptions = unionOf(notifierRegistry);

/** When a policy rotates: a cron expression (5 or 6 fields) in a timezone, or a fixed interval. */
const ScheduleOptions = z.union([
  z.strictObject({
    /** Cron expression; day-of-month and day-of-week combine with OR, as in crontab(5). */
    cron: z.string().optional(),
    /** IANA timezone of `cron`. Default: UTC. */
    timezone: z.string().optional(),
    /** Fixed interval since the last rotation, e.g. `30d`. */
    every: DurationText.optional(),
  }),
  /** No schedule: rotated on request (`rotad rotate`, SIGUSR2), at maxAge and before expiry only. */
  z.literal('manual', { error: "expected 'manual', or a map with cron or every" }),
]);

/**
 * How long before the credential's expiry (as the provider reports it) to rotate: a duration
 * (`14d`) or a share of its lifetime (`33%`), like cert-manager's renewBefore.
 */
const RotateBefore = z.union([
  DurationText,
  z.string().regex(/^([1-9]|[1-9][0-9])%$/, { error: 'expected a duration such as 14d, or a share of the lifetime from 1% to 99%' }),
]);

const RetryOptions = z.strictObject({
  /** Attempts per step before the rotation stops in needs-attention. Default: 5. */
  attempts: z.int().min(1).max(20).default(5),
  /** First backoff delay; doubles per attempt, with jitter. Default: 1s. */
  initialDelay: DurationText.default('1s'),
  /** Upper bound of one backoff delay (a longer Retry-After is still honoured). Default: 5m. */
  maxDelay: DurationText.default('5m'),
});

const HealthOptions = z.strictObject({
  /** Serve /healthz and /readyz. Default: true. */
  enabled: z.boolean().default(true),
  /** Default: 0.0.0.0. */
  host: z.string().default('0.0.0.0'),
  /** TCP port; 0 picks a free one. Default: 9750. */
  port: z.int().min(0).max(65535).default(9750),
});

/** What rotad allows itself against one provider type, on top of the vendor's documented limits it keeps anyway. */
const ProviderLimit = z.strictObject({
  /** Rotations of this provider type running at once (within `daemon.concurrency`). */
  concurrency: z.int().min(1).max(64).optional(),
  /** Calls to the provider (obtain, verify, revoke, the check that a revoked credential is refused) per second, over all its policies; fractions allowed, e.g. 0.5. */
  perSecond: z.number().positive().max(10_000).optional(),
});

/** `daemon.providerLimits`: one entry per provider type (a type rotad does not know is refused, with the nearest name). */
const ProviderLimits = z.strictObject(Object.fromEntries(Object.keys(providerRegistry).map((type) => [type, ProviderLimit.optional()])));

const DaemonOptions = z.strictObject({
  /** Rotations that may run at once. Default: 4. */
  concurrency: z.int().min(1).max(64).default(4),
  /**
   * Limits per provider type, e.g. `{ gladly: { concurrency: 2, perSecond: 5 } }`: at most that many
   * rotations of the type at once, and that many calls a second to it, over all its policies. An
   * incident keeps them too. The vendor limits rotad knows (docs/providers) are kept whatever is set.
   */
  providerLimits: ProviderLimits.default({}),
  /** Directory of the pid file (`rotad.pid`) that `rotad rotate` signals. Relative to the config file. Default: ../state. */
  stateDir: z.string().default('../state'),
  /** pino level. Default: info. */
  logLevel: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal']).default('info'),
  retry: RetryOptions.default({ attempts: 5, initialDelay: '1s', maxDelay: '5m' }),
  /** The HTTP endpoint for /healthz, /readyz and Prometheus /metrics. */
  health: HealthOptions.default({ enabled: true, host: '0.0.0.0', port: 9750 }),
  /**
   * How long one daemon holds a policy it works on without writing to the store: a daemon killed
   * mid-rotation holds it this long at most, then another daemon (or the restarted one) resumes.
   * Keep it above twice the longest request timeout of the stores, providers and consumers.
   * Default: 60s.
   */
  lease: DurationText.default('60s'),
  /**
   * How often the daemon reads a policy that is not due, to see what others changed: a request by
   * `rotad rotate` or a `rotad rollback` that could not signal this daemon (another host), a
   * rotation by another replica, an edit by hand. A policy is read anyway when it falls due, when
   * an alert or a lease says so, on SIGUSR2, on a control API request, and when `rotad rotate` or
   * `rotad rollback` on this host wakes the daemon. Default: 15m.
   */
  rescanEvery: DurationText.default('15m'),
  /**
   * A SIGUSR2 that comes at most this long after a rotation that a request (`rotad rotate`, another
   * signal) started is served by it, not rotated again: one request reaching every replica, or a
   * signal sent right after `rotad rotate --all`. `0s`: every signal that finds the policy idle rotates. Default: 10s.
   */
  signalWindow: DurationText.default('10s'),
  /**
   * Ended rotations kept per policy in the store's history (`rotad history`, the API, the
   * dashboard), filed beside the policy's state. Default: 100.
   */
  historyKeep: z.int().min(1).max(1000).default(100),
  /**
   * Replicas that share a store split the policies between them (docs/deployment.md, "Sharding"): each serves
   * its share, and takes over the share of a replica that stops or falls silent. Off unless set.
   */
  sharding: z
    .strictObject({
      /** The store that keeps the roster of replicas (vault or aws-secrets-manager). Default: defaults.store, or the only store. */
      store: z.string().optional(),
      /** How often each replica renews its entry and reads the others'; one silent for five of these is gone. Default: 2s. */
      heartbeat: DurationText.default('2s'),
    })
    .optional(),
  /** How long SIGTERM waits for in-flight steps to reach a safe point. Default: 30s. */
  shutdownTimeout: DurationText.default('30s'),
  /**
   * Reload when the config file's content changes (a Kubernetes ConfigMap update, an edit), with
   * the same rules as SIGHUP. The file is read this often; `0s` turns watching off. Default: 10s.
   */
  watchConfig: DurationText.default('10s'),
  /** The control API and the one-time hand-over page (docs/api.md). Off unless set. */
  api: ApiOptions.optional(),
  audit: z
    .strictObject({
      /** Also append every audit event, one JSON object per line, to this file (relative to the config file). */
      file: z.string().min(1).optional(),
    })
    .default({}),
});

/** Pacing of assisted rotations (a person creates or deletes a token in the provider's UI). */
const AssistOptions = z.strictObject({
  /** Repeat the request this often until it is done. Default: 1d. */
  remindEvery: DurationText.optional(),
  /** Escalate once when the request is still open after this long (or when the current credential expires, if sooner). Default: 3d. */
  deadline: DurationText.optional(),
  /** Look at the store's handover slot, or check whether the old token is deleted yet, this often. Default: 1m. */
  checkEvery: DurationText.optional(),
  /** The hours in which a person may be asked, e.g. `Mon-Fri 09:00-17:00 Europe/Berlin`; requests and reminders wait for them. Default: any time. */
  askWithin: z.string().optional(),
  /**
   * The time zone of the people asked (IANA, e.g. `Europe/Berlin`): requests say "please act by"
   * in it, with UTC beside. Default: askWithin's zone, else UTC.
   */
  timezone: z.string().optional(),
});

/** Warn this long before a credential expires, once per threshold and credential. */
const ExpiryWarnings = z.array(DurationText);

const Defaults = z.strictObject({
  /** Store of policies that name none. */
  store: Name.optional(),
  /** Notifiers of policies that name none. Default: every defined notifier. */
  notify: z.array(Name).optional(),
  /** Notifiers that also get overdue and expired alerts (escalation). Default: none. */
  escalate: z.array(Name).optional(),
  /** Default: [30d, 7d, 1d]. */
  expiryWarnings: ExpiryWarnings.optional(),
  /** A rotation this late is reported as overdue (once). Default: 1h. */
  overdueAfter: DurationText.optional(),
  schedule: ScheduleOptions.optional(),
  maxAge: DurationText.optional(),
  /** Default: 33% (a third of the lifetime), when the provider reports an expiry. */
  rotateBefore: RotateBefore.optional(),
  /** Default: 0s (no spread). */
  window: DurationText.optional(),
  /** Default: 0s. */
  grace: DurationText.optional(),
  assist: AssistOptions.optional(),
  /** Labels every policy gets (a policy's own labels win per key). */
  labels: z.record(LabelKey, LabelValue).optional(),
  /** Wait between the last consumer's confirmation and revoke in an incident rotation. Default: 0s. */
  incidentGrace: DurationText.optional(),
});

const PolicyOptions = z.strictObject({
  name: Name,
  description: z.string().optional(),
  /** `key: value` pairs that selectors match (`rotad rotate --selector team=support`); merged over defaults.labels. */
  labels: z.record(LabelKey, LabelValue).optional(),
  provider: ProviderOptions,
  /** Which store (a key of `stores`) holds it. Default: defaults.store, or the only store. */
  store: Name.optional(),
  /** Where in the store the secret lives. */
  secret: z
    .strictObject({
      /** Vault: KV path applications read; AWS: secret name. Default: the store's `{policy}` template. */
      path: z.string().min(1).optional(),
      /** JSON field holding the secret; other fields of the secret are kept. Default: the store's. */
      field: z.string().min(1).optional(),
      /**
       * Several fields written together in every version applications read: the secret (`value`)
       * and facts about it (`credentialId`: the provider's id or user, `expiresAt`: ISO time), e.g.
       * `{ api_key: value, username: credentialId }`. Instead of `field`.
       */
      fields: z.record(z.string().min(1), z.enum(['value', 'credentialId', 'expiresAt'])).optional(),
    })
    .refine((secret) => secret.fields === undefined || secret.field === undefined, { error: 'set field or fields, not both' })
    .refine((secret) => secret.fields === undefined || Object.values(secret.fields).filter((v) => v === 'value').length === 1, {
      error: 'fields must name exactly one field as value (the secret itself)',
    })
    .optional(),
  schedule: ScheduleOptions.optional(),
  /** A credential older than this is rotated at the next chance, even after downtime. */
  maxAge: DurationText.optional(),
  /** Rotate this long before the provider's expiry of the credential (a duration, or a share of its lifetime). Default: 33%. */
  rotateBefore: RotateBefore.optional(),
  /** Stop every rotation of this policy (scheduled, before expiry, on signal or request); alerts go on. Default: false. */
  suspend: z.boolean().default(false),
  /** Scheduled rotations start at a fixed per-policy offset inside this span (jitter). */
  window: DurationText.optional(),
  /** Wait between the last consumer update and revoking the old credential. */
  grace: DurationText.optional(),
  /** The grace of an incident rotation (a leaked credential goes as soon as every consumer has the new one). Default: defaults.incidentGrace, else 0s. */
  incidentGrace: DurationText.optional(),
  /** Pacing of requests to a person, for providers whose tokens are made in their UI. */
  assist: AssistOptions.optional(),
  /** Rotate this policy on every SIGUSR2 (besides those requested with `rotad rotate`). Default: false. */
  rotateOnSignal: z.boolean().default(false),
  consumers: z.array(ConsumerOptions).default([]),
  notify: z.array(Name).optional(),
  escalate: z.array(Name).optional(),
  expiryWarnings: ExpiryWarnings.optional(),
  overdueAfter: DurationText.optional(),
});
type PolicyOptions = z.infer<typeof PolicyOptions>;

/** The whole YAML file. */
export const RotadConfig = z.strictObject({
  version: z.literal(1, { error: 'expected version: 1' }),
  daemon: DaemonOptions.default(DaemonOptions.parse({})),
  stores: z.record(Name, StoreOptions),
  notifiers: z.record(Name, NotifierOptions).default({ log: { type: 'log' } }),
  defaults: Defaults.default({}),
  policies: z.array(PolicyOptions).min(1, { error: 'define at least one policy' }),
});
export type RotadConfig = z.infer<typeof RotadConfig>;
