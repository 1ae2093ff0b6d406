import type { NewCredential } from '../providers/types.js';
import { providerContext } from './call-context.js';
import type { PolicySnapshot, StoredCredential } from '../stores/types.js';
import type { PolicyRuntime, StepContext } from './context.js';
import { leaseOfOther } from './lease.js';
import { withRetry } from './retry.js';

const providerContextOf = (ctx: StepContext) => providerContext(ctx.runtime, ctx.rotationId, ctx.signal, ctx.logger);

/**
 * Stages a new credential before anything else happens (docs/design.md, invariant 1). A failed stage is
 * ambiguous (a timeout may have landed), so the store is read before deciding:
 * - it landed: it is staged, go on;
 * - it is not there: revoke it where the provider can, so nothing is left alive unknown;
 * - the store cannot tell: keep it in memory (`ctx.unstaged`), so that the step's retry, or the
 *   next run of this process, stages this same credential instead of creating another; one whose
 *   rotation went on without it is revoked.
 * A credential whose revoke has begun is never staged again (the revoke may have landed).
 */
export async function stage(ctx: StepContext, fresh: NewCredential | StoredCredential): Promise<StoredCredential> {
  const { store, clock, ref } = ctx.runtime;
  const credential: StoredCredential = 'rotationId' in fresh ? fresh : { ...fresh, rotationId: ctx.rotationId, createdAt: clock.now() };
  ctx.unstaged.credential = credential;
  try {
    await store.stagePending(ref, credential);
  } catch (error) {
    const landed = await store.read(ref).then(
      (snapshot) => snapshot.pending?.rotationId === credential.rotationId && snapshot.pending.value.reveal() === credential.value.reveal(),
      () => undefined,
    );
    if (landed !== true) {
      if (landed === false) await revokeUnstaged(ctx);
      throw error;
    }
  }
  ctx.unstaged.credential = undefined;
  ctx.known.pending = credential;
  ctx.logger.info({ credentialId: credential.id }, 'New credential staged');
  return credential;
}

/**
 * Revokes a credential this run created but could not stage, where the provider can (retried with
 * the policy's backoff; the step that called it may itself be retried, so it never waits twice). Returns
 * false when one is left alive (no revoke API, or the revoke failed): the caller must say so.
 */
export async function revokeUnstaged(ctx: StepContext): Promise<boolean> {
  const credential = ctx.unstaged.credential;
  if (credential === undefined) return true;
  const { provider, store, ref } = ctx.runtime;
  // A stage that timed out may have landed, and another writer may have gone on with it: only a
  // credential the store does not hold may be revoked. When the store cannot tell, nothing is revoked.
  const value = credential.value.reveal();
  const recorded = await store.read(ref).then(
    (s) => [s.pending, s.current, s.previous].some((c) => c?.value.reveal() === value),
    () => undefined,
  );
  if (recorded === true) {
    ctx.unstaged.credential = undefined;
    return true;
  }
  if (recorded === undefined || !provider.revoke) return false;
  // From here on it is never staged: a retry after a failed revoke repeats the revoke (idempotent).
  ctx.unstaged.revoking = true;
  const { retry, clock, random } = ctx.runtime;
  await withRetry(() => provider.revoke!(providerContextOf(ctx), credential, undefined), retry, { clock, signal: ctx.signal, random });
  ctx.unstaged.credential = undefined;
  ctx.unstaged.revoking = false;
  ctx.logger.warn({ credentialId: credential.id }, 'Revoked a new credential that could not be staged');
  return true;
}

/**
 * A credential this process created but could not stage (the store was down), once another holder
 * has taken its policy over or its rotation has ended: nobody but this process knows it and nobody
 * will stage it, so it is revoked now (one attempt per look; where the provider cannot, it stays
 * in memory and the rotation's own warning stands). Called by the scheduler on each look.
 */
export async function revokeLeftBehind(runtime: PolicyRuntime, snapshot: PolicySnapshot, now: number): Promise<void> {
  const unstaged = runtime.unstaged;
  const credential = unstaged?.credential;
  if (unstaged === undefined || credential === undefined) return;
  const value = credential.value.reveal();
  if ([snapshot.pending, snapshot.current, snapshot.previous].some((c) => c?.value.reveal() === value)) {
    unstaged.credential = undefined;
    return;
  }
  const resumable =
    snapshot.state.rotationId === credential.rotationId && leaseOfOther(snapshot.state, runtime.owner, now, runtime.leftOverLease) === undefined;
  if (resumable || !runtime.provider.revoke) return;
  unstaged.revoking = true;
  await runtime.provider.revoke(providerContext(runtime, credential.rotationId, new AbortController().signal), credential, undefined);
  unstaged.credential = undefined;
  unstaged.revoking = false;
  runtime.logger.warn(
    { credentialId: credential.id, rotation: credential.rotationId },
    'Revoked a new credential that could not be staged: its rotation went on without it',
  );
}
