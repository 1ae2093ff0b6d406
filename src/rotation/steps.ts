import { RotadError } from '../errors.js';
import { consumerContext, providerContext } from './call-context.js';
import { askPerson } from './ask-person.js';
import { acceptToken, isRefusal } from './accept-token.js';
import { retireAbandoned } from './retire.js';
import { finishRestore } from './restore.js';
import { revokeUnstaged, stage } from './stage.js';
import type { StoredCredential } from '../stores/types.js';
import type { StepContext, StepResult } from './context.js';
import { appendHistory, ROTATION_ENDED, type Phase } from '../policy-state.js';
import { graceMsOf, incidentAfter } from './incident.js';
import { consumerConfirmed, handedOverBy, historyEntry } from '../history-trail.js';
import { fingerprintsOf } from './history-filing.js';
import { allConsumersConfirmed, protocolInvariant } from './invariants.js';

/** One phase of the protocol: what it does, and how to take it back (for rollback and abort). */
interface Step {
  run(ctx: StepContext): Promise<StepResult>;
  /** What undoes it, in words: docs/design.md lists it (test/unit/protocol-doc.test.ts); the code lives in rollback.ts. */
  undo: string;
}

const providerContextOf = (ctx: StepContext) => providerContext(ctx.runtime, ctx.rotationId, ctx.signal, ctx.logger);

function lost(ctx: StepContext, what: string): RotadError {
  return new RotadError(
    'STORE_RECORD_LOST',
    `${what} of rotation ${ctx.rotationId} is no longer in the store of policy ${ctx.runtime.name}; another writer changed it`,
  );
}

const next = (phase: Phase | 'idle', extra: Partial<StepContext['state']> = {}, subject?: StoredCredential): StepResult => ({
  patch: { phase, ...extra },
  subject,
});

/** When the current credential stops working: the provider's expiry, else its age limit. */
function expiryOf(ctx: StepContext, credential: StoredCredential | undefined): number | undefined {
  if (!credential) return undefined;
  const { maxAgeMs } = ctx.runtime.settings.timing;
  return credential.expiresAt ?? (maxAgeMs === undefined ? undefined : credential.createdAt + maxAgeMs);
}

/**
 * A value a person wrote into the store's handover slot (their own tool, then SIGUSR2). Accepted
 * values are staged and the slot cleared; refused ones are cleared too, with the reason recorded
 * and sent, and the request stays open.
 */
async function takeHandover(ctx: StepContext, current: StoredCredential | undefined): Promise<{ staged: StoredCredential } | { refusal: string } | undefined> {
  const { store, provider, ref } = ctx.runtime;
  const value = await store.takeHandover?.(ref);
  if (value === undefined || !provider.assisted) return undefined;
  try {
    const fresh = await acceptToken(provider, providerContextOf(ctx), value, current);
    const credential = await stage(ctx, fresh);
    await store.clearHandover?.(ref);
    return { staged: credential };
  } catch (error) {
    if (!isRefusal(error)) throw error;
    await store.clearHandover?.(ref);
    ctx.logger.warn({ reason: error.message }, 'Handed-over token refused');
    await ctx.runtime.notify({
      type: 'action-required',
      rotationId: ctx.rotationId,
      phase: 'obtain',
      code: error.code,
      message: `the token written to the store was refused: ${error.message}. The request stays open; create a token as described and hand it over again.`,
    });
    return { refusal: error.message };
  }
}

/**
 * A pending credential of another rotation, left by one that was abandoned or by a writer that
 * lost the policy: this engine holds the lease, so nobody else is using it. Revoked where the
 * provider can, then forgotten.
 */
async function discardOrphan(ctx: StepContext, orphan: StoredCredential, current: StoredCredential | undefined): Promise<void> {
  const { store, provider, ref } = ctx.runtime;
  if (provider.revoke) await provider.revoke({ ...providerContextOf(ctx), rotationId: orphan.rotationId }, orphan, current);
  await store.discardPending(ref, orphan.rotationId);
  ctx.known.pending = undefined;
  ctx.logger.warn({ orphan: orphan.rotationId }, 'Discarded a pending credential left by an earlier rotation');
}

/**
 * Written before the provider creates a credential. Finding it already set means an earlier
 * attempt of this rotation died between the provider's answer and the stage: a credential may
 * exist that rotad never saw. Said once per attempt, with the time to look for it at the provider.
 * Returns when that earlier attempt began, if there was one.
 */
async function recordObtainIntent(ctx: StepContext): Promise<number | undefined> {
  const earlier = ctx.state.obtainStartedAt;
  if (earlier !== undefined) {
    const at = new Date(earlier).toISOString();
    ctx.logger.warn({ attemptAt: at }, 'An earlier attempt to create a credential may have succeeded unseen');
    await ctx.runtime.notify({
      type: 'action-required',
      rotationId: ctx.rotationId,
      phase: 'obtain',
      message: `an attempt at ${at} to create a credential was interrupted before rotad saw the answer; if the provider lists a credential created then that is not current, delete it. The rotation goes on.`,
    });
  }
  await ctx.save({ obtainStartedAt: ctx.runtime.clock.now() });
  return earlier;
}

/**
 * obtain + stage: the new credential is recorded as pending before anything else happens. From an
 * API or generator directly; in an assisted rotation, from a person (`rotad submit` stages it
 * itself, or the daemon takes it from the store's handover slot), asking and reminding meanwhile.
 */
const obtain: Step = {
  undo: 'discard the pending credential, revoking it at the provider when it can',
  async run(ctx) {
    const { provider } = ctx.runtime;
    const snapshot = ctx.known;
    if (snapshot.pending?.rotationId === ctx.rotationId || snapshot.current?.rotationId === ctx.rotationId)
      return next('verify', { assist: undefined, obtainStartedAt: undefined });
    if (snapshot.pending !== undefined) {
      // Only a person can delete it: ask for exactly that (and confirm it) before asking for a new one.
      if (!provider.revoke && provider.assisted && provider.isRejected)
        return next('revoke', { retire: { slot: 'pending', rotationId: snapshot.pending.rotationId, reason: 'orphan', then: 'obtain' } });
      await discardOrphan(ctx, snapshot.pending, snapshot.current);
    }
    // A credential this run created but could not stage: stage that one, never create another.
    // Left by an earlier run of this process: revoke it if its rotation went on without it.
    if (ctx.unstaged.revoking || (ctx.unstaged.credential !== undefined && ctx.unstaged.credential.rotationId !== ctx.rotationId)) await revokeUnstaged(ctx);
    const unstaged = ctx.unstaged.credential;
    if (unstaged?.rotationId === ctx.rotationId) return next('verify', { assist: undefined, obtainStartedAt: undefined }, await stage(ctx, unstaged));
    if (provider.obtain) {
      const unseenSince = provider.revoke ? await recordObtainIntent(ctx) : undefined;
      return next(
        'verify',
        { obtainStartedAt: undefined },
        await stage(ctx, await provider.obtain({ ...providerContextOf(ctx), unseenSince }, snapshot.current)),
      );
    }
    if (!provider.assisted)
      throw new RotadError('PROVIDER_BAD_RESPONSE', `provider of policy ${ctx.runtime.name} can neither create a credential nor ask a person`);
    const handed = await takeHandover(ctx, snapshot.current);
    if (handed && 'staged' in handed) return next('verify', { assist: undefined, trail: handedOverBy(ctx.state.trail, 'store') }, handed.staged);
    return askPerson(
      ctx,
      'create',
      provider.assisted.createRequest(providerContextOf(ctx), snapshot.current),
      expiryOf(ctx, snapshot.current),
      handed?.refusal,
    );
  },
};

const verify: Step = {
  undo: 'discard the pending credential (as for obtain)',
  async run(ctx) {
    const snapshot = ctx.known;
    if (snapshot.current?.rotationId === ctx.rotationId) return next('promote');
    if (snapshot.pending?.rotationId !== ctx.rotationId) throw lost(ctx, 'the pending credential');
    await ctx.runtime.provider.verify(providerContextOf(ctx), snapshot.pending);
    ctx.logger.info('New credential verified');
    return next('promote', {}, snapshot.pending);
  },
};

/**
 * The previous credential that this promote pushes out of the store, when it is still alive and
 * the provider revokes by API: normally the revoke phase of the last rotation revoked it, so one
 * alive here is one a rollback stepped back from. Nobody reads it any more (it is not current, and
 * the current one was handed to every consumer), and after the promote no record of it is left,
 * so it is revoked now, before the promote (a crash in between revokes it again).
 */
async function retirePushedOut(ctx: StepContext): Promise<void> {
  const { known } = ctx;
  const { store, provider, ref, clock } = ctx.runtime;
  const old = known.previous;
  const current = known.current;
  if (old === undefined || old.revokedAt !== undefined || current === undefined || current.rotationId === ctx.rotationId) return;
  if (!provider.revoke) return;
  await provider.revoke({ ...providerContextOf(ctx), rotationId: old.rotationId }, old, current);
  const at = clock.now();
  await store.markPreviousRevoked(ref, current.rotationId, at);
  known.previous = { ...old, revokedAt: at };
  ctx.logger.info(
    { credentialId: old.id, rotation: old.rotationId },
    'Revoked a previous credential left alive (a rollback stepped back from it) before it leaves the store',
  );
}

const promote: Step = {
  undo: 'make the previous credential current again (store rollback)',
  async run(ctx) {
    await retirePushedOut(ctx);
    await ctx.runtime.store.promote(ctx.runtime.ref, ctx.rotationId);
    // What the store did (pending → current, current → previous), unless an earlier attempt did it already.
    const { known } = ctx;
    if (known.pending?.rotationId === ctx.rotationId) Object.assign(known, { previous: known.current, current: known.pending, pending: undefined });
    ctx.logger.info('New credential promoted to current');
    return next('consumers');
  },
};

const consumers: Step = {
  undo: 'hand the restored credential to every consumer again',
  async run(ctx) {
    const { runtime } = ctx;
    const snapshot = ctx.known;
    const credential = snapshot.current;
    if (credential?.rotationId !== ctx.rotationId) throw lost(ctx, 'the current credential');
    let done = ctx.state.consumersDone;
    let trail = ctx.state.trail;
    for (const { key, consumer } of runtime.consumers) {
      if (done.includes(key)) continue;
      await consumer.update(consumerContext(runtime, ctx.rotationId, ctx.signal, ctx.logger.child({ consumer: consumer.label })), credential);
      done = [...done, key];
      trail = consumerConfirmed(trail, key, runtime.clock.now());
      await ctx.save({ consumersDone: done, trail });
      ctx.logger.info({ consumer: consumer.label }, 'Consumer updated');
    }
    protocolInvariant(allConsumersConfirmed(runtime.consumers, done), 'the consumers step ends with a consumer not confirmed');
    // Grace protects readers of the old credential; with none left alive there is nothing to wait for.
    const oldAlive = snapshot.previous !== undefined && snapshot.previous.revokedAt === undefined;
    return next('grace', { graceUntil: runtime.clock.now() + (oldAlive ? graceMsOf(runtime, ctx.state) : 0), trail }, credential);
  },
};

const grace: Step = {
  undo: 'nothing to undo',
  async run(ctx) {
    const undone = ctx.state.retire?.restoring ? await finishRestore(ctx, ctx.state.retire) : undefined;
    if (undone) return undone;
    // An incident that arrived during the grace cuts it to the incident grace.
    const cut = ctx.state.incident ? ctx.state.incident.at + graceMsOf(ctx.runtime, ctx.state) : Infinity;
    const until = Math.min(ctx.state.graceUntil ?? 0, cut);
    return ctx.runtime.clock.now() < until ? { waitUntil: until } : next('revoke');
  },
};

/**
 * revoke: by API where the provider has one, then confirmed by seeing the old credential rejected
 * where the provider can tell; otherwise a person is asked to delete it and rotad polls until the
 * provider rejects it. A credential that is already rejected (a reset killed it) is simply recorded.
 */
const revoke: Step = {
  undo: 'none: a revoked credential cannot come back (rollback refuses)',
  async run(ctx) {
    if (ctx.state.retire) return retireAbandoned(ctx, ctx.state.retire);
    const { store, provider, clock, ref } = ctx.runtime;
    const snapshot = ctx.known;
    const old = snapshot.previous;
    if (old === undefined || old.revokedAt !== undefined || old.rotationId === ctx.rotationId) return next('complete', { assist: undefined });
    // A reload while the rotation waited may have added a consumer: it gets the new credential (and
    // its readers the grace period) before the old one goes.
    if (!allConsumersConfirmed(ctx.runtime.consumers, ctx.state.consumersDone)) {
      ctx.logger.warn('A consumer was added or changed while the rotation waited: it gets the new credential before the old one is revoked');
      return next('consumers', { assist: undefined });
    }
    // The old credential goes only once the new one is current and every consumer confirmed it.
    protocolInvariant(snapshot.current?.rotationId === ctx.rotationId, 'revoke of the old credential while the new one is not current');
    const pctx = providerContextOf(ctx);
    const confirmed = async (how: string): Promise<StepResult> => {
      const at = clock.now();
      await store.markPreviousRevoked(ref, ctx.rotationId, at);
      ctx.known.previous = { ...old, revokedAt: at };
      ctx.logger.info({ credentialId: old.id }, how);
      if (ctx.state.assist || provider.assisted)
        await ctx.runtime.notify({ type: 'revocation-confirmed', rotationId: ctx.rotationId, phase: 'revoke', message: `${how}; the rotation is complete` });
      return next('complete', { assist: undefined }, old);
    };
    if (ctx.state.assist?.action !== 'delete' && provider.revoke) {
      const outcome = await provider.revoke(pctx, old, snapshot.current);
      if (outcome !== 'ask-person') {
        if (provider.isRejected && !(await provider.isRejected(pctx, old))) {
          throw new RotadError('PROVIDER_UNAVAILABLE', 'the provider still accepts the old credential after deleting it; checking again', { retryable: true });
        }
        return confirmed('Old credential revoked');
      }
    }
    if (!provider.isRejected) return next('complete', { assist: undefined });
    if (await provider.isRejected(pctx, old)) return confirmed('Old credential confirmed rejected by the provider');
    if (!provider.assisted) return next('complete', { assist: undefined });
    return askPerson(ctx, 'delete', provider.assisted.deleteRequest(pctx, old, snapshot.current), undefined);
  },
};

const complete: Step = {
  undo: 'nothing to undo',
  async run(ctx) {
    const now = ctx.runtime.clock.now();
    const { patch, served } = incidentAfter(ctx.state, ctx.rotationId, now);
    return next('idle', {
      ...ROTATION_ENDED,
      ...patch,
      lastRotatedAt: now,
      lastRotationId: ctx.rotationId,
      lastRequestedStartAt: ctx.state.trigger === 'cli' || ctx.state.trigger === 'signal' ? ctx.state.startedAt : ctx.state.lastRequestedStartAt,
      history: appendHistory(
        ctx.state.history,
        historyEntry(ctx.state, {
          rotationId: ctx.rotationId,
          outcome: 'succeeded',
          at: now,
          incident: served,
          fingerprints: fingerprintsOf(ctx.runtime, ctx.known.current, ctx.known.previous),
        }),
      ),
    });
  },
};

/** The protocol of docs/design.md as a table: the engine runs the step named by the persisted phase. */
export const STEPS: Readonly<Record<Phase, Step>> = { obtain, verify, promote, consumers, grace, revoke, complete };
