import { RotadError } from '../errors.js';
import type { PolicyRuntime } from './context.js';
import { appendHistory } from './state.js';

export type RollbackOutcome = { action: 'aborted'; rotationId: string } | { action: 'rolled-back'; restoredRotationId: string };

const BEFORE_PROMOTE = new Set(['obtain', 'verify']);

/**
 * `rotad rollback`. Before promote it abandons the rotation (the undo of obtain/verify: the pending
 * credential is revoked where possible and discarded). Otherwise it makes the previous credential
 * current again and hands it to every consumer (the undo of promote and consumers). It refuses
 * while a rotation is being worked on, and when the previous credential was already revoked.
 */
export async function rollbackPolicy(runtime: PolicyRuntime): Promise<RollbackOutcome> {
  const { store, name, ref, clock } = runtime;
  const snapshot = await store.read(ref);
  const { state } = snapshot;
  const signal = new AbortController().signal;
  const now = clock.now();

  if (state.phase !== 'idle' && state.attention === undefined && state.assist === undefined) {
    throw new RotadError('ROTATION_IN_PROGRESS', `policy ${name} is in phase ${state.phase} of rotation ${state.rotationId}; wait for it to finish or stop, then roll back`);
  }
  if (state.phase !== 'idle' && BEFORE_PROMOTE.has(state.phase)) {
    const rotationId = state.rotationId ?? '';
    const pending = snapshot.pending;
    if (pending?.rotationId === rotationId && runtime.provider.revoke) {
      await runtime.provider.revoke({ policy: name, rotationId, logger: runtime.logger, clock, signal }, pending, snapshot.current);
    }
    await store.discardPending(ref, rotationId);
    await store.writeState(ref, { ...state, phase: 'idle', rotationId: undefined, attention: undefined, requestedAt: undefined, consumersDone: [], graceUntil: undefined, assist: undefined, history: appendHistory(state.history, { rotationId, outcome: 'aborted', at: now }) }, snapshot.revision);
    const leftAlive = pending?.rotationId === rotationId && !runtime.provider.revoke && runtime.provider.assisted !== undefined;
    await runtime.notify({
      type: 'rotation-aborted', rotationId,
      message: `rotation abandoned by rollback; the current credential is unchanged${leftAlive ? '. The token handed over for it is still valid at the provider: delete it in the provider UI (the newer one; keep the token in use)' : ''}`,
    });
    return { action: 'aborted', rotationId };
  }

  const previous = snapshot.previous;
  if (!store.capabilities.rollback) throw new RotadError('ROLLBACK_UNSAFE', `the store of policy ${name} keeps no previous credential`);
  if (previous === undefined) throw new RotadError('ROLLBACK_UNSAFE', `policy ${name} has no previous credential to restore`);
  if (previous.revokedAt !== undefined) {
    throw new RotadError('ROLLBACK_UNSAFE', `the previous credential of policy ${name} was revoked at ${new Date(previous.revokedAt).toISOString()}; rotate instead`);
  }
  // Claim the state first (compare-and-swap), so a daemon that starts a rotation meanwhile wins or loses cleanly.
  const claimed = await store.writeState(ref, { ...state, attention: undefined }, snapshot.revision);
  await store.rollback(ref);
  for (const { consumer } of runtime.consumers) {
    await consumer.update({ policy: name, rotationId: previous.rotationId, logger: runtime.logger, clock, signal, peers: runtime.peers }, previous);
  }
  const rotationId = state.rotationId ?? state.lastRotationId ?? previous.rotationId;
  await store.writeState(ref, {
    ...state, phase: 'idle', rotationId: undefined, attention: undefined, requestedAt: undefined, consumersDone: [], graceUntil: undefined, assist: undefined,
    lastRotatedAt: previous.createdAt, lastRotationId: previous.rotationId,
    history: appendHistory(state.history, { rotationId, outcome: 'rolled-back', at: now }),
  }, claimed);
  await runtime.notify({ type: 'rotation-rolled-back', rotationId, message: `previous credential (rotation ${previous.rotationId}) is current again` });
  return { action: 'rolled-back', restoredRotationId: previous.rotationId };
}
