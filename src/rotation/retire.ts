import { RotadError } from '../errors.js';
import { ROTATION_ENDED, type Retire } from '../policy-state.js';
import type { StoredCredential } from '../stores/types.js';
import { askPerson } from './ask-person.js';
import { restoredDeleted, rollForward } from './restore.js';
import { providerContext } from './call-context.js';
import type { StepContext, StepResult } from './context.js';

/** Why a credential is retired, in the words of the messages that follow. */
const WHY: Record<Retire['reason'], string> = {
  'rolled-back': 'the rollback abandoned it',
  abandoned: 'its rotation was abandoned',
  orphan: 'no rotation uses it',
};

/**
 * The revoke phase of a credential rotad stopped keeping (`state.retire`): the one a rollback
 * abandoned, or a pending one no rotation will use. It is retired like an old credential — by
 * API where the provider can, else a person is asked to delete exactly it and keep the current
 * one — and its rejection is confirmed before the store forgets it. Then the rotation ends, or
 * (an orphan found while obtaining) goes on to ask for its own credential. Where the provider can
 * neither revoke nor confirm, the notice of the rollback already told people, and it ends.
 */
export async function retireAbandoned(ctx: StepContext, retire: Retire): Promise<StepResult> {
  const { provider } = ctx.runtime;
  const target = ctx.known[retire.slot];
  const keep = ctx.known.current;
  if (target === undefined || target.rotationId !== retire.rotationId || target.revokedAt !== undefined) return retired(ctx, retire);
  const pctx = { ...providerContext(ctx.runtime, ctx.rotationId, ctx.signal, ctx.logger), rotationId: target.rotationId };
  if (retire.reason === 'rolled-back' && keep !== undefined && (await restoredDeleted(ctx, keep))) return rollForward(ctx, keep);
  if (ctx.state.assist?.action !== 'delete' && provider.revoke) {
    const outcome = await provider.revoke(pctx, target, keep);
    if (outcome !== 'ask-person') {
      if (provider.isRejected && !(await provider.isRejected(pctx, target))) {
        throw new RotadError('PROVIDER_UNAVAILABLE', 'the provider still accepts the abandoned credential after deleting it; checking again', {
          retryable: true,
        });
      }
      return retired(ctx, retire, target, 'Abandoned credential revoked');
    }
  }
  if (!provider.isRejected) return retired(ctx, retire);
  if (await provider.isRejected(pctx, target)) return retired(ctx, retire, target, 'Abandoned credential confirmed rejected by the provider');
  if (!provider.assisted) return retired(ctx, retire);
  const request = provider.assisted.deleteRequest(pctx, target, keep);
  return askPerson(ctx, 'delete', { ...request, summary: `${request.summary} (${WHY[retire.reason]})` }, undefined);
}

/** The credential is gone (or was never there): the store forgets it, people hear it, and the rotation moves on. */
async function retired(ctx: StepContext, retire: Retire, target?: StoredCredential, how?: string): Promise<StepResult> {
  const { store, ref, clock, provider } = ctx.runtime;
  const at = clock.now();
  if (target !== undefined && retire.slot === 'previous' && ctx.known.current !== undefined) {
    await store.markPreviousRevoked(ref, ctx.known.current.rotationId, at);
    ctx.known.previous = { ...target, revokedAt: at };
  }
  if (retire.slot === 'pending' && ctx.known.pending?.rotationId === retire.rotationId) {
    await store.discardPending(ref, retire.rotationId);
    ctx.known.pending = undefined;
  }
  if (how !== undefined && target !== undefined) {
    ctx.logger.info({ credentialId: target.id, rotation: target.rotationId, reason: retire.reason }, how);
    if (provider.assisted)
      await ctx.runtime.notify({ type: 'revocation-confirmed', rotationId: ctx.rotationId, phase: 'revoke', message: `${how} (${WHY[retire.reason]})` });
  }
  if (retire.then === 'obtain') return { patch: { phase: 'obtain', retire: undefined, assist: undefined }, subject: target };
  return { patch: { ...ROTATION_ENDED }, subject: target };
}
