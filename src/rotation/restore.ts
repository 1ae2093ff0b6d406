import { appendHistory, ROTATION_ENDED, type Retire } from '../policy-state.js';
import { historyEntry } from '../history-trail.js';
import type { StoredCredential } from '../stores/types.js';
import { consumerContext, providerContext } from './call-context.js';
import type { StepContext, StepResult } from './context.js';

/** Hands `credential` to every consumer again (a consumer update is idempotent). */
async function handToConsumers(ctx: StepContext, credential: StoredCredential): Promise<void> {
  for (const { consumer } of ctx.runtime.consumers) {
    const logger = ctx.logger.child({ consumer: consumer.label });
    await consumer.update(consumerContext(ctx.runtime, credential.rotationId, ctx.signal, logger), credential);
  }
}

/**
 * Makes the credential of rotation `wanted` current, by the store's rollback (a swap of current and
 * previous), unless it is current already. The store is read first, never the run's memory: a swap
 * whose answer was lost may have landed, and swapping again would undo it.
 */
async function makeCurrent(ctx: StepContext, wanted: string): Promise<void> {
  const { store, ref } = ctx.runtime;
  const fresh = await store.read(ref);
  Object.assign(ctx.known, { current: fresh.current, previous: fresh.previous, pending: fresh.pending });
  if (fresh.current?.rotationId === wanted || fresh.previous?.rotationId !== wanted) return;
  await store.rollback(ref);
  Object.assign(ctx.known, { current: fresh.previous, previous: fresh.current });
}

/**
 * Whether the credential a rollback restores was deleted at the provider meanwhile: a person asked
 * to delete it before the rollback may act before the withdrawal reaches them. Only a provider
 * that can tell (and whose credentials a person deletes) is asked.
 */
export async function restoredDeleted(ctx: StepContext, restored: StoredCredential): Promise<boolean> {
  const { provider } = ctx.runtime;
  if (!provider.assisted || !provider.isRejected) return false;
  return provider.isRejected({ ...providerContext(ctx.runtime, ctx.rotationId, ctx.signal, ctx.logger), rotationId: restored.rotationId }, restored);
}

/**
 * The rollback is undone because the credential it restores no longer works: the one it stepped
 * back from (still working, never deleted) is made current again and handed to every consumer,
 * the deleted one is recorded as revoked, people are told, and the run ends.
 */
export async function rollForward(ctx: StepContext, deleted: StoredCredential): Promise<StepResult> {
  const { store, ref, clock } = ctx.runtime;
  const { known } = ctx;
  const other = [known.current, known.previous].find((c) => c !== undefined && c.rotationId !== deleted.rotationId);
  if (other !== undefined) await makeCurrent(ctx, other.rotationId);
  const kept = known.current?.rotationId === deleted.rotationId ? undefined : known.current;
  if (kept !== undefined) {
    await handToConsumers(ctx, kept);
    const at = clock.now();
    await store.markPreviousRevoked(ref, kept.rotationId, at);
    known.previous = known.previous && { ...known.previous, revokedAt: at };
  }
  const message = `the rollback is undone: the credential it restored (rotation ${deleted.rotationId}) was deleted at the provider before the withdrawal of its deletion request was read. The credential of rotation ${kept?.rotationId ?? 'none'} is current again and every consumer has it; nothing is left to delete`;
  ctx.logger.warn({ deleted: deleted.rotationId, current: kept?.rotationId }, 'Rollback undone: the restored credential was deleted at the provider');
  await ctx.runtime.notify({ type: 'rotation-rolled-back', rotationId: ctx.rotationId, phase: ctx.state.phase, message });
  const now = clock.now();
  return {
    patch: {
      ...ROTATION_ENDED,
      ...(kept && { lastRotatedAt: kept.createdAt, lastRotationId: kept.rotationId }),
      history: appendHistory(ctx.state.history, historyEntry(ctx.state, { rotationId: ctx.rotationId, outcome: 'rolled-back', at: now })),
    },
    subject: deleted,
  };
}

/**
 * A rollback that recorded itself (`retire.restoring`) and was interrupted — the command was
 * killed, the store failed — is finished: the restored credential is made current in the store
 * unless that landed already, and handed to every consumer again; unless it was deleted meanwhile,
 * in which case the rollback is undone (rollForward). Runs in the grace phase that follows a rollback.
 */
export async function finishRestore(ctx: StepContext, retire: Retire): Promise<StepResult | undefined> {
  const { known } = ctx;
  const restored = [known.current, known.previous].find((c) => c !== undefined && c.rotationId !== retire.rotationId);
  if (restored === undefined) return undefined;
  if (await restoredDeleted(ctx, restored)) return rollForward(ctx, restored);
  await makeCurrent(ctx, restored.rotationId);
  await handToConsumers(ctx, restored);
  await ctx.save({ retire: { ...retire, restoring: undefined } });
  ctx.logger.warn({ restored: restored.rotationId }, 'Finished an interrupted rollback: the restored credential is current and every consumer has it');
  return undefined;
}
