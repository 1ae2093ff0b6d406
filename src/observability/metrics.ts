import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { PHASES } from '../policy-state.js';
import { BUILD_INFO } from '../version.js';

/** Every metric rotad exports, by name (the alerting rules in config/prometheus are checked against this). */
export const METRIC_NAMES = [
  'rotad_credential_expiry_timestamp_seconds',
  'rotad_next_rotation_timestamp_seconds',
  'rotad_last_success_timestamp_seconds',
  'rotad_rotation_phase',
  'rotad_policy_ready',
  'rotad_needs_attention',
  'rotad_rotations_total',
  'rotad_rotation_duration_seconds',
  'rotad_store_requests_total',
  'rotad_provider_requests_total',
  'rotad_notifications_total',
  'rotad_signals_absorbed_total',
  'rotad_up',
  'rotad_build_info',
  'rotad_config_last_reload_successful',
  'rotad_config_last_reload_timestamp_seconds',
  'rotad_config_info',
  'rotad_replicas',
] as const;

export interface PolicyObservation {
  expiresAt?: number | undefined;
  nextRotationAt?: number | undefined;
  /** Why the next rotation is due then: schedule, max-age, expiry, requested, … */
  nextReason?: string | undefined;
  lastSuccessAt?: number | undefined;
  phase: string;
  ready: boolean;
  needsAttention: boolean;
}

const seconds = (ms: number): number => ms / 1000;

/**
 * rotad's Prometheus metrics, in the style of cert-manager: timestamps as gauges, readiness per
 * policy, outcomes as counters. Labels are policy, store, provider, notifier and operation names
 * from the config and fixed enums, so the label sets stay bounded.
 */
export class Metrics {
  readonly registry = new Registry();
  readonly #expiry = new Gauge({
    name: 'rotad_credential_expiry_timestamp_seconds',
    help: 'When the current credential expires (provider expiry, else created + maxAge), Unix seconds.',
    labelNames: ['policy'],
    registers: [this.registry],
  });
  readonly #next = new Gauge({
    name: 'rotad_next_rotation_timestamp_seconds',
    help: 'When the next rotation is due, Unix seconds; reason says why (schedule, max-age, expiry, requested, resume, grace, waiting-for-person, initial).',
    labelNames: ['policy', 'reason'],
    registers: [this.registry],
  });
  /** The reason label each policy's next-rotation series carries now, so a change of reason replaces the series. */
  readonly #nextReason = new Map<string, string>();
  readonly #lastSuccess = new Gauge({
    name: 'rotad_last_success_timestamp_seconds',
    help: 'When the last rotation completed, Unix seconds.',
    labelNames: ['policy'],
    registers: [this.registry],
  });
  readonly #phase = new Gauge({
    name: 'rotad_rotation_phase',
    help: '1 for the phase the policy is in (idle when no rotation runs).',
    labelNames: ['policy', 'phase'],
    registers: [this.registry],
  });
  readonly #ready = new Gauge({
    name: 'rotad_policy_ready',
    help: '1 when the current credential exists, has not expired, and rotation is neither overdue nor stopped (needs attention).',
    labelNames: ['policy'],
    registers: [this.registry],
  });
  readonly #attention = new Gauge({
    name: 'rotad_needs_attention',
    help: "1 when a rotation stopped on an error a person must fix, or the policy's store cannot be read; 0 while a request for a token simply waits.",
    labelNames: ['policy'],
    registers: [this.registry],
  });
  readonly #rotations = new Counter({
    name: 'rotad_rotations_total',
    help: 'Rotation runs by outcome.',
    labelNames: ['policy', 'outcome'],
    registers: [this.registry],
  });
  readonly #duration = new Histogram({
    name: 'rotad_rotation_duration_seconds',
    help: 'Time from the start of a rotation to its completion (grace included).',
    labelNames: ['policy'],
    buckets: [0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600, 86400],
    registers: [this.registry],
  });
  readonly #store = new Counter({
    name: 'rotad_store_requests_total',
    help: 'Store operations by outcome (error = error code).',
    labelNames: ['store', 'operation', 'outcome'],
    registers: [this.registry],
  });
  readonly #provider = new Counter({
    name: 'rotad_provider_requests_total',
    help: 'Provider operations by outcome (error = error code).',
    labelNames: ['policy', 'provider', 'operation', 'outcome'],
    registers: [this.registry],
  });
  readonly #signalsAbsorbed = new Counter({
    name: 'rotad_signals_absorbed_total',
    help: 'SIGUSR2 signals that started no rotation of a policy, by why: in-progress, requested (a request is already recorded), served (a requested rotation started shortly before).',
    labelNames: ['policy', 'reason'],
    registers: [this.registry],
  });
  readonly #notifications = new Counter({
    name: 'rotad_notifications_total',
    help: 'Notifications by outcome.',
    labelNames: ['notifier', 'outcome'],
    registers: [this.registry],
  });
  readonly #replicas = new Gauge({
    name: 'rotad_replicas',
    help: 'Replicas sharing the fleet (daemon.sharding), as this one last read the roster.',
    registers: [this.registry],
  });
  readonly #up = new Gauge({ name: 'rotad_up', help: '1 while the daemon runs.', registers: [this.registry] });
  readonly #build = new Gauge({
    name: 'rotad_build_info',
    help: 'Always 1; the labels say which rotad and Node.js run.',
    labelNames: ['version', 'nodeversion'],
    registers: [this.registry],
  });

  readonly #reloadOk = new Gauge({
    name: 'rotad_config_last_reload_successful',
    help: '1 when the last load of the config file (start, SIGHUP or a change on disk) succeeded, 0 when it was rejected.',
    registers: [this.registry],
  });
  readonly #reloadAt = new Gauge({
    name: 'rotad_config_last_reload_timestamp_seconds',
    help: 'When the running config was loaded, Unix seconds.',
    registers: [this.registry],
  });
  readonly #configInfo = new Gauge({
    name: 'rotad_config_info',
    help: 'Always 1; hash is the SHA-256 (first 16 hex digits) of the running config file, so replicas with different configs are visible.',
    labelNames: ['hash'],
    registers: [this.registry],
  });

  constructor() {
    this.#up.set(1);
    this.#build.set({ version: BUILD_INFO.version, nodeversion: BUILD_INFO.node }, 1);
  }

  observePolicy(policy: string, o: PolicyObservation): void {
    const set = (gauge: Gauge, ms: number | undefined): void => {
      if (ms === undefined) gauge.remove({ policy });
      else gauge.set({ policy }, seconds(ms));
    };
    set(this.#expiry, o.expiresAt);
    const reason = this.#nextReason.get(policy);
    if (reason !== undefined) this.#next.remove({ policy, reason });
    this.#nextReason.delete(policy);
    if (o.nextRotationAt !== undefined) {
      const now = o.nextReason ?? 'schedule';
      this.#next.set({ policy, reason: now }, seconds(o.nextRotationAt));
      this.#nextReason.set(policy, now);
    }
    set(this.#lastSuccess, o.lastSuccessAt);
    for (const phase of ['idle', ...PHASES]) this.#phase.set({ policy, phase }, phase === o.phase ? 1 : 0);
    this.#ready.set({ policy }, o.ready ? 1 : 0);
    this.#attention.set({ policy }, o.needsAttention ? 1 : 0);
  }

  /** The policy's store cannot be read: not ready, and needs attention, whatever was last seen. */
  policyUnreachable(policy: string): void {
    this.#ready.set({ policy }, 0);
    this.#attention.set({ policy }, 1);
  }

  rotationOutcome(policy: string, outcome: string, durationMs?: number): void {
    this.#rotations.inc({ policy, outcome });
    if (durationMs !== undefined) this.#duration.observe({ policy }, seconds(durationMs));
  }

  signalAbsorbed(policy: string, reason: string): void {
    this.#signalsAbsorbed.inc({ policy, reason });
  }

  storeRequest(store: string, operation: string, outcome: string): void {
    this.#store.inc({ store, operation, outcome });
  }

  providerRequest(policy: string, provider: string, operation: string, outcome: string): void {
    this.#provider.inc({ policy, provider, operation, outcome });
  }

  notification(notifier: string, outcome: string): void {
    this.#notifications.inc({ notifier, outcome });
  }

  /** A load of the config: a successful one becomes the running config (hash, time), a rejected one only flips the flag. */
  configLoaded(outcome: { ok: true; hash: string; at: number } | { ok: false }): void {
    this.#reloadOk.set(outcome.ok ? 1 : 0);
    if (!outcome.ok) return;
    this.#reloadAt.set(seconds(outcome.at));
    this.#configInfo.reset();
    this.#configInfo.set({ hash: outcome.hash }, 1);
  }

  replicas(count: number): void {
    this.#replicas.set(count);
  }

  /** Forgets per-policy series (after a reload removed or renamed policies). */
  resetPolicies(): void {
    for (const gauge of [this.#expiry, this.#next, this.#lastSuccess, this.#phase, this.#ready, this.#attention]) gauge.reset();
    this.#nextReason.clear();
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
