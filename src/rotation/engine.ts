import { describeError, StoreConflictError } from '../errors.js';
import type { AuditEvent } from '../observability/audit.js';
import type { PolicySnapshot, StoredCredential } from '../stores/types.js';
import type { PolicyRuntime, StepContext } from './context.js';
import { withRetry } from './retry.js';
import { newRotationId } from './rotation-id.js';
import type { PolicyState, Trigger } from './state.js';

/** Who a rotation acts for, in the audit trail. */
const ACTOR_BY_TRIGGER: Record<Trigger, string> = { initial: 'schedule', schedule: 'schedule', 'max-age': 'schedule', resume: 'schedule', signal: 'signal', cli: 'cli' };
import { STEPS } from './steps.js';

export type RunOutcome =
  | { status: 'completed'; rotationId: string; durationMs: number }
  | { status: 'waiting'; rotationId: string; until: number }
  | { status: 'needs-attention'; rotationId: string; code: string }
  | { status: 'stopped'; rotationId: string }
  | { status: 'busy' };

/**
 * Runs (or resumes) the rotation of one policy. The state in the store names the step to run
 * next and is written with compare-and-swap before every step, so a crash at any instant leaves a
 * record from which the same rotation id resumes, and a second writer loses instead of doubling.
 */
export async function runRotation(runtime: PolicyRuntime, trigger: Trigger, signal: AbortSignal): Promise<RunOutcome> {
  const { store, ref, clock } = runtime;
  let snapshot = await store.read(ref);
  let state = snapshot.state;
  let revision = snapshot.revision;

  const write = async (next: PolicyState): Promise<void> => {
    revision = await store.writeState(ref, next, revision);
    state = next;
  };

  try {
    if (state.phase === 'idle') {
      await discardLeftover(runtime, snapshot);
      snapshot = await store.read(ref);
      revision = snapshot.revision;
      const rotationId = newRotationId(clock.now());
      await write({ ...snapshot.state, phase: 'obtain', rotationId, trigger, startedAt: clock.now(), consumersDone: [], attention: undefined, requestedAt: undefined, graceUntil: undefined, assist: undefined });
      runtime.logger.info({ rotation: rotationId, trigger }, 'Rotation started');
      await runtime.notify({ type: 'rotation-started', rotationId, message: `rotation started (${trigger})` });
    } else if (state.attention !== undefined || state.requestedAt !== undefined) {
      await write({ ...state, attention: undefined, requestedAt: undefined });
    }
  } catch (error) {
    if (error instanceof StoreConflictError) return { status: 'busy' };
    throw error;
  }

  const rotationId = state.rotationId ?? '';
  const startedAt = state.startedAt ?? clock.now();
  const logger = runtime.logger.child({ rotation: rotationId });
  const actor = ACTOR_BY_TRIGGER[state.trigger ?? 'schedule'];
  const audit = (phase: string, outcome: AuditEvent['outcome'], since: number, extra: Partial<AuditEvent> = {}, subject?: StoredCredential): void => {
    runtime.audit?.record({
      rotationId, policy: runtime.name, phase, outcome, actor, durationMs: clock.now() - since,
      ...(subject ? { credentialId: subject.id, fingerprint: runtime.audit.fingerprint(subject.value) } : {}),
      ...extra,
    });
  };
  while (state.phase !== 'idle') {
    const phase = state.phase;
    if (signal.aborted) {
      logger.info({ phase }, 'Rotation paused at a safe point');
      return { status: 'stopped', rotationId };
    }
    runtime.faults?.('before', phase);
    const ctx: StepContext = {
      runtime, state, rotationId, signal, logger: logger.child({ phase }),
      save: async (patch) => { await write({ ...state, ...patch }); return state; },
    };
    let result;
    const stepStarted = clock.now();
    try {
      result = await withRetry(() => STEPS[phase].run({ ...ctx, state }), runtime.retry, {
        clock, signal,
        onRetry: (error, attempt, delayMs) => logger.warn({ phase, attempt, delayMs, error: describeError(error) }, 'Step failed, retrying'),
      });
    } catch (error) {
      if (error instanceof StoreConflictError) return { status: 'busy' };
      if (signal.aborted) {
        audit(phase, 'stopped', stepStarted);
        return { status: 'stopped', rotationId };
      }
      audit(phase, 'failed', stepStarted, { code: describeError(error).code });
      return markNeedsAttention(runtime, state, write, error);
    }
    if ('waitUntil' in result) {
      // A person's request is logged and audited when it opens; each later look only at debug level.
      const stillWaiting = ctx.state.assist !== undefined && ctx.state.assist.action === state.assist?.action;
      logger[stillWaiting ? 'debug' : 'info']({ phase, until: new Date(result.waitUntil).toISOString() }, 'Rotation waiting');
      if (!stillWaiting) audit(phase, 'waiting', stepStarted);
      return { status: 'waiting', rotationId, until: result.waitUntil };
    }
    runtime.faults?.('after', phase);
    try {
      await write({ ...state, ...result.patch });
      audit(phase, 'completed', stepStarted, {}, result.subject);
    } catch (error) {
      if (error instanceof StoreConflictError) return { status: 'busy' };
      throw error;
    }
  }
  const durationMs = clock.now() - startedAt;
  logger.info({ durationMs }, 'Rotation completed');
  await runtime.notify({ type: 'rotation-succeeded', rotationId, message: 'rotation completed' });
  return { status: 'completed', rotationId, durationMs };
}

async function markNeedsAttention(runtime: PolicyRuntime, state: PolicyState, write: (s: PolicyState) => Promise<void>, error: unknown): Promise<RunOutcome> {
  const { code, message } = describeError(error);
  const rotationId = state.rotationId ?? '';
  const phase = state.phase === 'idle' ? 'obtain' : state.phase;
  await write({ ...state, attention: { code, message, phase, at: runtime.clock.now() } });
  runtime.logger.error({ rotation: rotationId, phase, code, reason: message }, 'Rotation needs attention');
  const advice = phase === 'obtain' || phase === 'verify'
    ? 'the current credential is unchanged; fix the cause and run `rotad rotate`, or `rotad rollback` to abandon the new one'
    : 'the old credential is still valid; fix the cause and run `rotad rotate` to resume, or `rotad rollback` to restore the old one';
  await runtime.notify({ type: 'needs-attention', rotationId, phase, code, message: `${message}; ${advice}` });
  return { status: 'needs-attention', rotationId, code };
}

/** A pending credential with no rotation in progress (left by an abort): revoke it if possible, then forget it. */
async function discardLeftover(runtime: PolicyRuntime, snapshot: PolicySnapshot): Promise<void> {
  const leftover = snapshot.pending;
  if (leftover === undefined) return;
  const { provider } = runtime;
  if (provider.revoke) {
    await provider.revoke({ policy: runtime.name, rotationId: leftover.rotationId, logger: runtime.logger, clock: runtime.clock, signal: new AbortController().signal }, leftover, snapshot.current);
  }
  await runtime.store.discardPending(runtime.ref, leftover.rotationId);
  runtime.logger.warn({ rotation: leftover.rotationId }, 'Discarded a pending credential left by an earlier rotation');
}
