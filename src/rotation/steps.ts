import { RotadError } from '../errors.js';
import type { ProviderContext } from '../providers/types.js';
import type { StoredCredential } from '../stores/types.js';
import type { StepContext, StepResult } from './context.js';
import { appendHistory, type Phase } from './state.js';

/** One phase of the protocol: what it does, and how to take it back (for rollback and abort). */
export interface Step {
  run(ctx: StepContext): Promise<StepResult>;
  /** What undoes it, in words; the code lives in rollback.ts. */
  undo: string;
}

function providerContext(ctx: StepContext): ProviderContext {
  return { policy: ctx.runtime.name, rotationId: ctx.rotationId, logger: ctx.logger, clock: ctx.runtime.clock, signal: ctx.signal };
}

function lost(ctx: StepContext, what: string): RotadError {
  return new RotadError('STORE_CONFLICT', `${what} of rotation ${ctx.rotationId} is no longer in the store of policy ${ctx.runtime.name}; another writer changed it`);
}

const next = (phase: Phase | 'idle', extra: Partial<StepContext['state']> = {}, subject?: StoredCredential): StepResult => ({ patch: { phase, ...extra }, subject });

/** obtain + stage: the new credential is recorded as pending before anything else happens. */
const obtain: Step = {
  undo: 'discard the pending credential, revoking it at the provider when it can',
  async run(ctx) {
    const { store, provider, clock } = ctx.runtime;
    const snapshot = await store.read(ctx.runtime.ref);
    if (snapshot.pending?.rotationId === ctx.rotationId || snapshot.current?.rotationId === ctx.rotationId) return next('verify');
    const fresh = await provider.obtain(providerContext(ctx));
    const credential: StoredCredential = { ...fresh, rotationId: ctx.rotationId, createdAt: clock.now() };
    try {
      await store.stagePending(ctx.runtime.ref, credential);
    } catch (error) {
      // Invariant 1: a credential that cannot be recorded must not stay alive at the provider.
      if (provider.revoke) await provider.revoke(providerContext(ctx), credential);
      throw error;
    }
    ctx.logger.info({ credentialId: credential.id }, 'New credential staged');
    return next('verify', {}, credential);
  },
};

const verify: Step = {
  undo: 'discard the pending credential (as for obtain)',
  async run(ctx) {
    const snapshot = await ctx.runtime.store.read(ctx.runtime.ref);
    if (snapshot.current?.rotationId === ctx.rotationId) return next('promote');
    if (snapshot.pending?.rotationId !== ctx.rotationId) throw lost(ctx, 'the pending credential');
    await ctx.runtime.provider.verify(providerContext(ctx), snapshot.pending);
    ctx.logger.info('New credential verified');
    return next('promote', {}, snapshot.pending);
  },
};

const promote: Step = {
  undo: 'make the previous credential current again (store rollback)',
  async run(ctx) {
    await ctx.runtime.store.promote(ctx.runtime.ref, ctx.rotationId);
    ctx.logger.info('New credential promoted to current');
    return next('consumers');
  },
};

const consumers: Step = {
  undo: 'hand the restored credential to every consumer again',
  async run(ctx) {
    const { runtime } = ctx;
    const snapshot = await runtime.store.read(runtime.ref);
    const credential = snapshot.current;
    if (credential?.rotationId !== ctx.rotationId) throw lost(ctx, 'the current credential');
    let done = ctx.state.consumersDone;
    for (const { key, consumer } of runtime.consumers) {
      if (done.includes(key)) continue;
      await consumer.update({ ...providerContext(ctx), logger: ctx.logger.child({ consumer: consumer.label }) }, credential);
      done = [...done, key];
      await ctx.save({ consumersDone: done });
      ctx.logger.info({ consumer: consumer.label }, 'Consumer updated');
    }
    return next('grace', { graceUntil: runtime.clock.now() + runtime.graceMs }, credential);
  },
};

const grace: Step = {
  undo: 'nothing to undo',
  async run(ctx) {
    const until = ctx.state.graceUntil ?? 0;
    return ctx.runtime.clock.now() < until ? { waitUntil: until } : next('revoke');
  },
};

const revoke: Step = {
  undo: 'none: a revoked credential cannot come back (rollback refuses)',
  async run(ctx) {
    const { store, provider, clock, ref } = ctx.runtime;
    const snapshot = await store.read(ref);
    const old = snapshot.previous;
    if (old !== undefined && old.revokedAt === undefined && provider.capabilities.revokeByApi && provider.revoke) {
      await provider.revoke(providerContext(ctx), old);
      await store.markPreviousRevoked(ref, ctx.rotationId, clock.now());
      ctx.logger.info({ credentialId: old.id }, 'Old credential revoked');
      return next('complete', {}, old);
    }
    return next('complete');
  },
};

const complete: Step = {
  undo: 'nothing to undo',
  async run(ctx) {
    const now = ctx.runtime.clock.now();
    return next('idle', {
      lastRotatedAt: now,
      lastRotationId: ctx.rotationId,
      rotationId: undefined,
      trigger: undefined,
      startedAt: undefined,
      graceUntil: undefined,
      consumersDone: [],
      history: appendHistory(ctx.state.history, { rotationId: ctx.rotationId, outcome: 'succeeded', at: now }),
    });
  },
};

/** The protocol of DESIGN.md as a table: the engine runs the step named by the persisted phase. */
export const STEPS: Readonly<Record<Phase, Step>> = { obtain, verify, promote, consumers, grace, revoke, complete };
