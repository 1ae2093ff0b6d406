import type { ApiOptions } from './api-options.js';
import { dirname, resolve } from 'node:path';
import { providerRegistry } from '../providers/registry.js';
import type { RotateBefore } from '../timing/next-run.js';
import { parseAskWindow, type AskWindow } from '../timing/ask-window.js';
import type { Schedule } from '../timing/schedule.js';
import { shardingStoreName } from './sharding-rule.js';
import { durationMs } from '../duration-text.js';
import type { PolicySettings } from '../timing/policy-settings.js';
import type { RotadConfig } from './schema.js';
import type { CredentialFact } from '../stores/types.js';

type RawPolicy = RotadConfig['policies'][number];

/** One policy with every default applied and every duration in milliseconds: its settings and its adapters' options. */
export interface ResolvedPolicy extends PolicySettings {
  description?: string | undefined;
  provider: RawPolicy['provider'];
  storeName: string;
  /** Where in the store the secret lives (store defaults when unset), and the facts written beside it. */
  secret?: { path?: string | undefined; field?: string | undefined; facts?: Record<string, CredentialFact> | undefined } | undefined;
  consumers: RawPolicy['consumers'];
}

export type ResolvedApi = ApiOptions;

/** The API's file paths (TLS, token files) made absolute; a trailing slash of publicUrl dropped. */
function resolveApi(api: ApiOptions, dir: string): ResolvedApi {
  const file = (path: string): string => resolve(dir, path);
  return {
    ...api,
    publicUrl: api.publicUrl?.replace(/\/+$/, ''),
    tls: api.tls && { cert: file(api.tls.cert), key: file(api.tls.key), clientCa: api.tls.clientCa === undefined ? undefined : file(api.tls.clientCa) },
    tokens: api.tokens.map((token) => ({ ...token, file: token.file === undefined ? undefined : file(token.file) })),
  };
}

/** The validated, normalised configuration the daemon runs on. Frozen. */
export interface ResolvedConfig {
  /** Absolute path of the config file. */
  path: string;
  /** Its directory: relative paths in the config are resolved against it. */
  dir: string;
  /** SHA-256 of the file's text (first 16 hex digits): replicas running different configs differ here. */
  hash: string;
  daemon: {
    concurrency: number;
    /** `daemon.providerLimits`, by provider type. */
    providerLimits: Readonly<Record<string, { concurrency?: number | undefined; perSecond?: number | undefined } | undefined>>;
    stateDir: string;
    logLevel: string;
    retry: { attempts: number; initialDelayMs: number; maxDelayMs: number };
    health: { enabled: boolean; host: string; port: number };
    shutdownTimeoutMs: number;
    /** How often the config file is read for changes; 0 = not watched. */
    watchConfigMs: number;
    /** How long a daemon holds a policy it works on without renewing (see DaemonOptions.lease). */
    leaseMs: number;
    /** Longest time between two reads of a policy that is not due (see DaemonOptions.rescanEvery). */
    rescanMs: number;
    /** A signal within this of a requested rotation's start is served by it (see DaemonOptions.signalWindow). */
    signalWindowMs: number;
    /** Ended rotations kept per policy in the store's history. */
    historyKeep: number;
    /** Absolute path of the JSON-lines audit file, if any. */
    auditFile?: string | undefined;
    /** `daemon.sharding`: the store that keeps the replica roster, and the heartbeat. */
    sharding?: { storeName: string; heartbeatMs: number } | undefined;
    /** The control API and hand-over page, when configured; file paths absolute. */
    api?: ResolvedApi | undefined;
  };
  stores: RotadConfig['stores'];
  notifiers: RotadConfig['notifiers'];
  policies: ResolvedPolicy[];
}

function scheduleOf(policy: RawPolicy, config: RotadConfig, maxAgeMs: number | undefined): Schedule {
  const schedule = policy.schedule ?? config.defaults.schedule;
  if (schedule === 'manual') return { kind: 'manual' };
  if (schedule?.cron !== undefined) return { kind: 'cron', expression: schedule.cron, timezone: schedule.timezone ?? 'UTC' };
  if (schedule?.every !== undefined) return { kind: 'every', intervalMs: durationMs(schedule.every) };
  // Validation guarantees a maxAge when there is no schedule: rotate every maxAge.
  return { kind: 'every', intervalMs: maxAgeMs ?? 0 };
}

/** `rotateBefore` as the scheduler uses it: a span, or a share of the credential's lifetime (default a third). */
function rotateBeforeOf(text: string | undefined): RotateBefore {
  if (text === undefined) return { kind: 'share', fraction: 1 / 3, text: '33%' };
  if (text.endsWith('%')) return { kind: 'share', fraction: Number(text.slice(0, -1)) / 100, text };
  return { kind: 'span', ms: durationMs(text), text };
}

/** `secret.fields` split into the field that holds the secret and the facts written beside it. */
function secretOf(secret: RawPolicy['secret']): ResolvedPolicy['secret'] {
  if (secret?.fields === undefined) return secret && { path: secret.path, field: secret.field };
  const entries = Object.entries(secret.fields);
  const facts = Object.fromEntries(entries.filter(([, what]) => what !== 'value')) as Record<string, CredentialFact>;
  return { path: secret.path, field: entries.find(([, what]) => what === 'value')?.[0], facts };
}

/** `assist.askWithin`, already checked by the rules. */
function askWindowOf(text: string | undefined): AskWindow | undefined {
  if (text === undefined) return undefined;
  const window = parseAskWindow(text);
  return typeof window === 'string' ? undefined : window;
}

function optionalMs(text: string | undefined): number | undefined {
  return text === undefined ? undefined : durationMs(text);
}

/** Applies defaults; call only on a config that passed the schema and the rules. */
export function normalize(config: RotadConfig, path: string, hash: string): ResolvedConfig {
  const dir = dirname(resolve(path));
  const onlyStore = Object.keys(config.stores)[0] ?? '';
  const policies = config.policies.map((policy): ResolvedPolicy => {
    const maxAgeMs = optionalMs(policy.maxAge ?? config.defaults.maxAge);
    const assist = {
      remindMs: durationMs(policy.assist?.remindEvery ?? config.defaults.assist?.remindEvery ?? '1d'),
      deadlineMs: durationMs(policy.assist?.deadline ?? config.defaults.assist?.deadline ?? '3d'),
      checkMs: durationMs(policy.assist?.checkEvery ?? config.defaults.assist?.checkEvery ?? '1m'),
      window: askWindowOf(policy.assist?.askWithin ?? config.defaults.assist?.askWithin),
      timezone: undefined as string | undefined,
    };
    assist.timezone = policy.assist?.timezone ?? config.defaults.assist?.timezone ?? assist.window?.timezone ?? 'UTC';
    const assisted = providerRegistry[policy.provider.type].assisted;
    return {
      name: policy.name,
      description: policy.description,
      provider: policy.provider,
      storeName: policy.store ?? config.defaults.store ?? onlyStore,
      secret: secretOf(policy.secret),
      timing: {
        name: policy.name,
        schedule: scheduleOf(policy, config, maxAgeMs),
        maxAgeMs,
        windowMs: optionalMs(policy.window ?? config.defaults.window) ?? 0,
        rotateBefore: rotateBeforeOf(policy.rotateBefore ?? config.defaults.rotateBefore),
        // A person needs the whole request (its deadline, then one more reminder after the escalation) before the expiry.
        assistLeadMs: assisted ? assist.deadlineMs + assist.remindMs : undefined,
      },
      graceMs: optionalMs(policy.grace ?? config.defaults.grace) ?? 0,
      incidentGraceMs: optionalMs(policy.incidentGrace ?? config.defaults.incidentGrace) ?? 0,
      labels: Object.freeze({ ...config.defaults.labels, ...policy.labels }),
      assist,
      suspended: policy.suspend,
      rotateOnSignal: policy.rotateOnSignal,
      consumers: policy.consumers,
      notify: policy.notify ?? config.defaults.notify ?? Object.keys(config.notifiers),
      escalate: policy.escalate ?? config.defaults.escalate ?? [],
      expiryWarnings: (policy.expiryWarnings ?? config.defaults.expiryWarnings ?? ['30d', '7d', '1d'])
        .map((text) => ({ text, ms: durationMs(text) }))
        .sort((a, b) => b.ms - a.ms),
      overdueAfterMs: durationMs(policy.overdueAfter ?? config.defaults.overdueAfter ?? '1h'),
    };
  });
  const { daemon } = config;
  return Object.freeze({
    path: resolve(path),
    dir,
    hash,
    daemon: {
      concurrency: daemon.concurrency,
      providerLimits: daemon.providerLimits,
      stateDir: resolve(dir, daemon.stateDir),
      logLevel: daemon.logLevel,
      retry: { attempts: daemon.retry.attempts, initialDelayMs: durationMs(daemon.retry.initialDelay), maxDelayMs: durationMs(daemon.retry.maxDelay) },
      health: daemon.health,
      shutdownTimeoutMs: durationMs(daemon.shutdownTimeout),
      watchConfigMs: durationMs(daemon.watchConfig),
      leaseMs: durationMs(daemon.lease),
      rescanMs: durationMs(daemon.rescanEvery),
      signalWindowMs: durationMs(daemon.signalWindow),
      historyKeep: daemon.historyKeep,
      auditFile: daemon.audit.file === undefined ? undefined : resolve(dir, daemon.audit.file),
      sharding: daemon.sharding === undefined ? undefined : { storeName: shardingStoreName(config)!, heartbeatMs: durationMs(daemon.sharding.heartbeat) },
      api: daemon.api === undefined ? undefined : resolveApi(daemon.api, dir),
    },
    stores: config.stores,
    notifiers: config.notifiers,
    policies,
  });
}
