import { describeError, StoreConflictError } from '../errors.js';
import type { AuditEvent } from '../observability/audit.js';
import type { Logger } from '../observability/logger.js';
import type { PolicySnapshot, StoredCredential } from '../stores/types.js';
import type { KnownCredentials, PolicyRuntime, StepContext } from './context.js';
import { guardedRuntime } from './guarded.js';
import { withCallSignal } from '../call-signal.js';
import { leaseOfOther, Ownership } from './lease.js';
import { withRetry } from './retry.js';
import { newRotationId } from './rotation-id.js';
import { revokeUnstaged } from './stage.js';
import { ROTATION_ENDED, type Incident, type Phase, type PolicyState, type Trigger } from '../policy-state.js';
import { STEPS } from './steps.js';
import { assertPhaseOrder, protocolInvariant } from './invariants.js';
import { withIncident } from './incident.js';
import { alertsEndedBy, enteredPhase, rotationAlertKey, startedTrail, stoppedWith } from '../history-trail.js';
import { fileHistory } from './history-filing.js';

/** Who a rotation acts for, in the audit trail. */
const ACTOR_BY_TRIGGER: Record<Trigger, string> = {
  initial: 'schedule',
  schedule: 'schedule',
  'max-age': 'schedule',
  expiry: 'schedule',
  resume: 'schedule',
  signal: 'signal',
  cli: 'cli',
  incident: 'incident',
};

export type RunOutcome =
  /** `after`: the policy as this run left it (its last write and the credentials it knows), so the caller need not read it again. */
  | { status: 'completed'; rotationId: string; durationMs: number; after: PolicySnapshot }
  | { status: 'waiting'; rotationId: string; until: number }
  | { status: 'needs-attention'; rotationId: string; code: string }
  | { status: 'stopped'; rotationId: string }
  /** A rolled-back or abandoned rotation ended once the credential it left was retired (nothing new became current). */
  | { status: 'retired'; rotationId: string }
  /** Another writer holds the policy (until `until`, when its lease is known) or moved it on: look again later. */
  | { status: 'busy'; until?: number | undefined };

/**
 * Runs (or resumes) the rotation of one policy. `basis` is the read the caller decided on (the
 * scheduler passes the snapshot it saw due); the engine first claims the policy with a
 * compare-and-swap on exactly that revision, so "start a rotation" is never decided on one read
 * and written on another. From then on it holds the policy's lease (lease.ts): every state write
 * is a compare-and-swap that renews it, and every side effect checks (and if need be renews) it
 * first. A crash at any instant leaves a record from which the same rotation id
 * resumes once the lease has run out; a second writer loses instead of doubling.
 */
export async function runRotation(runtime: PolicyRuntime, trigger: Trigger, signal: AbortSignal, basis?: PolicySnapshot): Promise<RunOutcome> {
  const { store, ref, clock } = runtime;
  const snapshot = basis ?? (await store.read(ref));
  const held = leaseOfOther(snapshot.state, runtime.owner, clock.now(), runtime.leftOverLease);
  if (held) return { status: 'busy', until: held.until };
  const ownership = new Ownership({ store, ref, clock, owner: runtime.owner, leaseMs: runtime.leaseMs }, snapshot.state, snapshot.revision);
  const starting = snapshot.state.phase === 'idle';
  try {
    if (starting) {
      const rotationId = newRotationId(clock.now(), runtime.random);
      const startedAt = clock.now();
      // A fresh rotation: whatever the last one left is reset by the same list that ends one. An
      // incident asked for before it started is served by it.
      await ownership.write((s) => ({
        ...s,
        ...ROTATION_ENDED,
        phase: 'obtain',
        rotationId,
        trigger: s.incident ? 'incident' : trigger,
        startedAt,
        incident: s.incident && { ...s.incident, rotationId },
        trail: startedTrail(s.incident?.actor ?? (trigger === 'cli' ? (s.requestedBy ?? 'cli') : ACTOR_BY_TRIGGER[trigger]), startedAt),
      }));
    } else {
      await ownership.write((s) => ({ ...s, attention: undefined, requestedAt: undefined }));
    }
  } catch (error) {
    if (error instanceof StoreConflictError) return { status: 'busy' };
    throw error;
  }
  const rotationId = ownership.state.rotationId ?? '';
  // Taken over from another holder (a daemon that died or stopped mid-rotation, a replica): said once.
  const takenOver = !starting && snapshot.state.lease !== undefined && snapshot.state.lease.owner !== runtime.owner;
  if (takenOver) runtime.logger.info({ rotation: rotationId, phase: ownership.state.phase, from: snapshot.state.lease!.owner }, 'Rotation resumed');
  if (starting) {
    const started = ownership.state.trigger ?? trigger;
    const { incident } = ownership.state;
    runtime.logger.info({ rotation: rotationId, trigger: started, ...(incident && { reason: incident.reason, actor: incident.actor }) }, 'Rotation started');
    await withIncident(runtime.notify, () => incident)({ type: 'rotation-started', rotationId, message: `rotation started (${started})` });
  }
  // Whether a credential from before this rotation exists (to keep, or to go back to): a first rotation has none.
  const hasOlder = [snapshot.current, snapshot.previous].some((c) => c !== undefined && c.rotationId !== rotationId);
  const known: KnownCredentials = { current: snapshot.current, previous: snapshot.previous, pending: snapshot.pending };
  return drive(runtime, ownership, { rotationId, known }, signal, hasOlder);
}

/**
 * Runs the steps named by the persisted phase until the rotation completes, waits, stops or fails.
 * A step's outcome is written only when it must be durable: a step saves what must survive a crash
 * itself (a staged credential, an intent, a consumer confirmed), and every step can run again after
 * a crash (it finds its work done in the store), so the phases in between ride on the next write:
 * a wait, the end, a failure, a stop, or a lease renewal.
 */
function drive(
  runtime: PolicyRuntime,
  ownership: Ownership,
  run: { rotationId: string; known: KnownCredentials },
  shutdown: AbortSignal,
  hasOlder: boolean,
): Promise<RunOutcome> {
  return new RotationRun(runtime, ownership, run.rotationId, run.known, shutdown, hasOlder).drive();
}

/** One run of the engine over one rotation, from the phase the store holds to the end, a wait, a stop or a failure. */
class RotationRun {
  readonly #startedAt: number;
  readonly #logger: Logger;
  readonly #actor: string;
  /** Stops a step when the daemon shuts down or the lease is lost. */
  readonly #signal: AbortSignal;
  readonly #guarded: PolicyRuntime;
  readonly #unstaged: NonNullable<PolicyRuntime['unstaged']>;
  /** The last step retired an abandoned credential and ended the rotation: no success to announce. */
  #endedByRetire = false;
  /** The incident as the step running now saw it when it began. */
  #stepIncident: Incident | undefined;
  /** The pending credential was verified: by this run's verify step, or by an earlier run (the persisted phase is past verify). */
  #verified: boolean;

  constructor(
    private readonly runtime: PolicyRuntime,
    private readonly ownership: Ownership,
    private readonly rotationId: string,
    private readonly known: KnownCredentials,
    private readonly shutdown: AbortSignal,
    private readonly hasOlder: boolean,
  ) {
    this.#startedAt = ownership.state.startedAt ?? runtime.clock.now();
    this.#logger = runtime.logger.child({ rotation: rotationId });
    this.#actor = ACTOR_BY_TRIGGER[ownership.state.trigger ?? 'schedule'];
    this.#signal = AbortSignal.any([shutdown, ownership.lost]);
    const signal = this.#signal;
    const guarded = guardedRuntime(runtime, { check: () => ownership.ensureHeld(), during: (call) => ownership.watching(() => withCallSignal(signal, call)) });
    this.#guarded = { ...guarded, notify: withIncident(guarded.notify, () => this.#incident()) };
    this.#unstaged = runtime.unstaged ?? {};
    this.#verified = !['obtain', 'verify'].includes(ownership.state.phase);
  }

  async drive(): Promise<RunOutcome> {
    const { ownership, runtime, rotationId, known } = this;
    while (ownership.state.phase !== 'idle') {
      const phase = ownership.state.phase as Exclude<PolicyState['phase'], 'idle'>;
      if (this.shutdown.aborted) {
        this.#logger.info({ phase }, 'Rotation paused at a safe point');
        await this.#release();
        return { status: 'stopped', rotationId };
      }
      const ended = await this.#step(phase);
      if (ended) return ended;
    }
    // One store call per ended rotation, after the write that ended it (its entry is in the state meanwhile).
    await fileHistory(runtime, ownership.state);
    if (this.#endedByRetire) {
      this.#logger.info('Rotation ended: the credential it abandoned is retired');
      return { status: 'retired', rotationId };
    }
    const durationMs = runtime.clock.now() - this.#startedAt;
    this.#logger.info({ durationMs }, 'Rotation completed');
    const { state } = ownership;
    const ended = alertsEndedBy(
      state.history.findLast((h) => h.rotationId === rotationId),
      known.previous?.rotationId,
      state.alertsSent,
    );
    await withIncident(runtime.notify, () => this.#incident())({
      type: 'rotation-succeeded',
      rotationId,
      message: 'rotation completed',
      ...(ended.length > 0 && { resolvesAlerts: ended }),
    });
    return { status: 'completed', rotationId, durationMs, after: { ...known, state: ownership.state, revision: ownership.revision } };
  }

  /** Runs one step (with retries) and records its outcome; returns an outcome when the run ends here. */
  async #step(phase: Exclude<PolicyState['phase'], 'idle'>): Promise<RunOutcome | undefined> {
    const { ownership, runtime, rotationId } = this;
    const state = ownership.state;
    this.#stepIncident = state.incident;
    runtime.faults?.('before', phase);
    const logger = this.#logger;
    const ctx: StepContext = {
      runtime: this.#guarded,
      state,
      known: this.known,
      rotationId,
      signal: this.#signal,
      logger: logger.child({ phase }),
      unstaged: this.#unstaged,
      save: (patch) => ownership.write((s) => ({ ...s, ...patch })),
    };
    let result;
    const stepStarted = runtime.clock.now();
    try {
      // A credential becomes current only after it was verified: verify establishes it, promote relies on it.
      if (phase === 'promote') protocolInvariant(this.#verified, 'promote before the pending credential was verified');
      result = await withRetry(() => STEPS[phase].run({ ...ctx, state: ownership.state }), runtime.retry, {
        clock: runtime.clock,
        signal: this.#signal,
        random: runtime.random,
        onRetry: (error, attempt, delayMs) => logger.warn({ phase, attempt, delayMs, error: describeError(error) }, 'Step failed, retrying'),
      });
    } catch (error) {
      return this.#failed(error, ctx, phase, stepStarted);
    }
    if ('waitUntil' in result) {
      // A person's request is logged and audited when it opens; each later look only at debug level.
      const stillWaiting = state.assist !== undefined && ownership.state.assist?.action === state.assist.action;
      await this.#release();
      // Logged once the lease is given up: from this line on, a rollback or a hand-over is not refused as in progress.
      logger[stillWaiting ? 'debug' : 'info']({ phase, until: new Date(result.waitUntil).toISOString() }, 'Rotation waiting');
      if (!stillWaiting) this.#audit(phase, 'waiting', stepStarted);
      return { status: 'waiting', rotationId, until: result.waitUntil };
    }
    try {
      assertPhaseOrder(phase, result.patch.phase);
    } catch (error) {
      return this.#failed(error, ctx, phase, stepStarted);
    }
    if (phase === 'verify') this.#verified = true;
    runtime.faults?.('after', phase);
    const { patch } = result;
    this.#endedByRetire = state.retire !== undefined && patch.phase === 'idle';
    try {
      if (patch.phase === 'idle') await ownership.write((s) => ({ ...s, ...patch }), true);
      else await ownership.defer((s) => ({ ...s, ...patch, trail: enteredPhase(patch.trail ?? s.trail, patch.phase as Phase, runtime.clock.now()) }));
      this.#audit(phase, 'completed', stepStarted, {}, result.subject);
    } catch (error) {
      const lost = await this.#busy(error, ctx);
      if (lost) return lost;
      throw error;
    }
    return undefined;
  }

  /** A step that failed after its retries: another writer took over, the daemon stops, or the rotation needs attention. */
  async #failed(error: unknown, ctx: StepContext, phase: Phase, stepStarted: number): Promise<RunOutcome> {
    const lost = await this.#busy(error, ctx);
    if (lost) return lost;
    if (this.shutdown.aborted) {
      this.#audit(phase, 'stopped', stepStarted);
      await this.#release();
      return { status: 'stopped', rotationId: this.rotationId };
    }
    this.#audit(phase, 'failed', stepStarted, { code: describeError(error).code });
    const leftAlive = !(await revokeUnstaged(ctx).catch(() => false));
    return markNeedsAttention(this.runtime, this.ownership, error, { leftAlive, hasOlder: this.hasOlder });
  }

  /** When another writer holds the policy now: leaves it to them (revoking what this run created and never staged). */
  async #busy(error: unknown, ctx: StepContext): Promise<RunOutcome | undefined> {
    const { ownership, runtime, rotationId } = this;
    if (!(error instanceof StoreConflictError) && !ownership.lost.aborted) return undefined;
    this.#logger.info({ phase: ownership.state.phase }, 'Another writer holds this policy; leaving it to them');
    // A credential this run created and never staged is known to nobody else: revoke it even
    // without the lease (it touches nothing of the policy), or say that it is left alive.
    if (!(await revokeUnstaged({ ...ctx, runtime, signal: this.shutdown }).catch(() => false))) {
      this.#logger.warn('A credential created by this run could not be stored nor revoked');
      await runtime.notify({
        type: 'action-required',
        rotationId,
        phase: ownership.state.phase === 'idle' ? undefined : ownership.state.phase,
        message:
          'a credential created for this rotation could not be stored nor revoked (another rotad took the policy over): delete it at the provider; it is none of the current or previous ones',
      });
    }
    return { status: 'busy' };
  }

  /** The incident this run works under; the complete step clears a served one before its last events, so the step's own view names it then. */
  #incident(): Incident | undefined {
    return this.ownership.state.incident ?? this.#stepIncident;
  }

  /** Writes what is deferred and gives the lease up. */
  #release(): Promise<unknown> {
    return this.ownership.write((s) => s, true).catch(() => undefined);
  }

  #audit(phase: string, outcome: AuditEvent['outcome'], since: number, extra: Partial<AuditEvent> = {}, subject?: StoredCredential): void {
    const { runtime } = this;
    const incident = this.#incident();
    runtime.audit?.record({
      rotationId: this.rotationId,
      policy: runtime.name,
      phase,
      outcome,
      // An incident served by this rotation (started for it, or asked for while it was in obtain) names who asked for it.
      actor: incident?.rotationId === this.rotationId ? incident.actor : this.#actor,
      ...(incident && { reason: incident.reason }),
      durationMs: runtime.clock.now() - since,
      ...(subject ? { credentialId: subject.id, fingerprint: runtime.audit.fingerprint(subject.value) } : {}),
      ...extra,
    });
  }
}

async function markNeedsAttention(
  runtime: PolicyRuntime,
  ownership: Ownership,
  error: unknown,
  { leftAlive, hasOlder }: { leftAlive: boolean; hasOlder: boolean },
): Promise<RunOutcome> {
  const described = describeError(error);
  const { code } = described;
  const message = leftAlive
    ? `${described.message}; a credential created for this rotation could not be stored nor revoked: delete the newest one at the provider`
    : described.message;
  const { state } = ownership;
  const rotationId = state.rotationId ?? '';
  const phase = state.phase === 'idle' ? 'obtain' : state.phase;
  try {
    const at = runtime.clock.now();
    await ownership.write((s) => ({ ...s, attention: { code, message, phase, at }, trail: stoppedWith(s.trail, { code, phase, at }) }), true);
  } catch (writeError) {
    if (writeError instanceof StoreConflictError) return { status: 'busy' };
    throw writeError;
  }
  runtime.logger.error({ rotation: rotationId, phase, code, reason: message }, 'Rotation needs attention');
  await runtime.notify({
    type: 'needs-attention',
    rotationId,
    phase,
    code,
    alertKey: rotationAlertKey(rotationId),
    message: `${message}; ${attentionAdvice(runtime.name, phase, !hasOlder)}`,
  });
  return { status: 'needs-attention', rotationId, code };
}

/** What a person can do about a stopped rotation; a first rotation has no older credential to keep or restore. */
function attentionAdvice(name: string, phase: string, first: boolean): string {
  const beforePromote = phase === 'obtain' || phase === 'verify';
  if (first) {
    return beforePromote
      ? `this is the policy's first rotation, so there is no credential yet; fix the cause and run \`rotad rotate ${name}\` to try again`
      : `the new credential is current and there is no older one to go back to; fix the cause and run \`rotad rotate ${name}\` to resume`;
  }
  return beforePromote
    ? `the current credential is unchanged; fix the cause and run \`rotad rotate ${name}\`, or \`rotad rollback ${name}\` to abandon the new one`
    : `the old credential is still valid; fix the cause and run \`rotad rotate ${name}\` to resume, or \`rotad rollback ${name}\` to restore the old one`;
}
