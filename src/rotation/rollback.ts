import { consumerContext, providerContext } from './call-context.js';
import { RotadError, StoreConflictError } from '../errors.js';
import { recordRetryDelay } from '../stores/state-record.js';
import type { PolicySnapshot } from '../stores/types.js';
import type { PolicyRuntime } from './context.js';
import { leaseOfOther, Ownership } from './lease.js';
import { appendHistory, ROTATION_ENDED, type HistoryEntry, type PolicyState } from '../policy-state.js';

/** What rollback did; `message` is what the daemon will report through its notifiers. */
type RollbackOutcome = { action: 'aborted'; rotationId: string; message: string } | { action: 'rolled-back'; restoredRotationId: string; message: string };

/** Tries to take the policy while a daemon keeps writing its state (a rotation waiting for a person looks every few seconds). */
const TAKE_ATTEMPTS = 8;

/**
 * Reads the policy and takes it (compare-and-swap plus lease), so a daemon that starts a rotation
 * meanwhile wins or loses cleanly. A daemon that wrote the state between the read and the take
 * (without holding it) is read again, a few times, rather than reported: nothing was done yet.
 */
async function takePolicy(runtime: PolicyRuntime, now: number): Promise<{ snapshot: PolicySnapshot; ownership: Ownership }> {
  const { store, name, ref, clock } = runtime;
  for (let attempt = 1; ; attempt += 1) {
    const snapshot = await store.read(ref);
    const { state } = snapshot;
    const held = leaseOfOther(state, runtime.owner, now);
    if (held) {
      throw new RotadError(
        'ROTATION_IN_PROGRESS',
        `policy ${name} is in phase ${state.phase} of rotation ${state.rotationId}, worked on by ${held.owner} (lease until ${new Date(held.until).toISOString()}); wait for it to finish or stop, then roll back`,
      );
    }
    const ownership = new Ownership({ store, ref, clock, owner: runtime.owner, leaseMs: runtime.leaseMs }, state, snapshot.revision);
    try {
      await ownership.write((s) => ({ ...s, attention: undefined }));
      return { snapshot, ownership };
    } catch (error) {
      if (!(error instanceof StoreConflictError) || attempt >= TAKE_ATTEMPTS) throw error;
      await clock.sleep(recordRetryDelay(attempt, runtime.random));
    }
  }
}

/** Undelivered notices kept per policy (a daemon that never runs must not let the record grow). */
const OUTBOX_LIMIT = 10;

const BEFORE_PROMOTE = new Set(['obtain', 'verify']);

/**
 * `rotad rollback`. Before promote it abandons the rotation (the undo of obtain/verify: the pending
 * credential is revoked where possible and discarded). Otherwise it makes the previous credential
 * current again and hands it to every consumer (the undo of promote and consumers). It refuses
 * while another holder's lease on the policy runs (a daemon works on it), and when the previous
 * credential was already revoked. A rotation left by a daemon that died is not "being worked on"
 * once its lease has run out. `actor` is who asked (`cli`, or `api:<token name>`), for the audit trail.
 */
export async function rollbackPolicy(runtime: PolicyRuntime, actor = 'cli'): Promise<RollbackOutcome> {
  const { store, name, ref, clock } = runtime;
  const signal = new AbortController().signal;
  const now = clock.now();
  const { snapshot, ownership } = await takePolicy(runtime, now);
  const { state } = snapshot;
  // The rollback and the notice of it are one write: the daemon delivers the notice (notifiers,
  // audit trail, its log), so it reaches the same places as every other event, once.
  const finish = (patch: Partial<PolicyState>, outcome: HistoryEntry['outcome'], rotationId: string, message: string, release = true): Promise<PolicyState> =>
    ownership.write(
      (s) => ({
        ...s,
        ...ROTATION_ENDED,
        ...patch,
        history: appendHistory(s.history, { rotationId, outcome, at: now }),
        outbox: [
          ...s.outbox,
          { type: outcome === 'aborted' ? ('rotation-aborted' as const) : ('rotation-rolled-back' as const), rotationId, message, at: now, actor },
        ].slice(-OUTBOX_LIMIT),
      }),
      release,
    );

  if (state.phase !== 'idle' && BEFORE_PROMOTE.has(state.phase)) {
    const rotationId = state.rotationId ?? '';
    const pending = snapshot.pending;
    const leftAlive = pending?.rotationId === rotationId && !runtime.provider.revoke && runtime.provider.assisted !== undefined;
    const message = `rotation abandoned by rollback; the current credential is unchanged${leftAlive ? '. The token handed over for it is still valid at the provider: delete it in the provider UI (the newer one; keep the token in use)' : ''}`;
    // The rotation ends first: interrupted after this, its pending credential is an orphan that the
    // next rotation revokes and discards, never one a resumed rotation would try to verify.
    await finish({}, 'aborted', rotationId, message, false);
    if (pending?.rotationId === rotationId && runtime.provider.revoke) {
      await ownership.ensureHeld();
      await runtime.provider.revoke(providerContext(runtime, rotationId, signal), pending, snapshot.current);
    }
    await ownership.ensureHeld();
    await store.discardPending(ref, rotationId);
    await ownership.write((s) => s, true);
    return { action: 'aborted', rotationId, message };
  }

  const previous = snapshot.previous;
  const refuse = async (message: string): Promise<never> => {
    await ownership.write((s) => s, true).catch(() => undefined);
    throw new RotadError('ROLLBACK_UNSAFE', message);
  };
  if (!store.capabilities.rollback) return refuse(`the store of policy ${name} keeps no previous credential`);
  if (previous === undefined) return refuse(`policy ${name} has no previous credential to restore`);
  if (previous.revokedAt !== undefined)
    return refuse(`the previous credential of policy ${name} was revoked at ${new Date(previous.revokedAt).toISOString()}; rotate instead`);
  await store.rollback(ref);
  for (const { consumer } of runtime.consumers) {
    await ownership.ensureHeld();
    await consumer.update(consumerContext(runtime, previous.rotationId, signal), previous);
  }
  const rotationId = state.rotationId ?? state.lastRotationId ?? previous.rotationId;
  const message = `previous credential (rotation ${previous.rotationId}) is current again`;
  await finish({ lastRotatedAt: previous.createdAt, lastRotationId: previous.rotationId }, 'rolled-back', rotationId, message);
  return { action: 'rolled-back', restoredRotationId: previous.rotationId, message };
}
