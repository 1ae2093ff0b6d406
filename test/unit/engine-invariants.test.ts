import { describe, expect, it } from 'vitest';
import { RotadError } from '../../src/errors.js';
import { runRotation } from '../../src/rotation/engine.js';
import { STEPS } from '../../src/rotation/steps.js';
import { rollbackPolicy } from '../../src/rotation/rollback.js';
import type { RotationEvent } from '../../src/notifiers/types.js';
import { FakeClock, MemoryStore, policyRuntime, recordingConsumer, recordingProvider, type Call } from '../helpers/engine-doubles.js';

const run = (runtime: Parameters<typeof runRotation>[0], trigger: Parameters<typeof runRotation>[1] = 'schedule') =>
  runRotation(runtime, trigger, new AbortController().signal);

/** A policy that has completed one rotation, so there is an old credential to protect. */
async function rotatedOnce(options: Parameters<typeof recordingProvider>[1] = {}, graceMs = 60_000) {
  const calls: Call[] = [];
  const events: RotationEvent[] = [];
  const clock = new FakeClock();
  const store = new MemoryStore(calls);
  const provider = recordingProvider(calls, { ...options, verifyErrors: [] });
  const consumers = [recordingConsumer(calls, 'app'), recordingConsumer(calls, 'webhook')];
  const runtime = policyRuntime({ store, provider, clock, consumers, graceMs, events });
  // The first rotation has no old credential to protect, so it does not wait out the grace period.
  expect(await run(runtime, 'initial')).toMatchObject({ status: 'completed' });
  const old = store.current!.value.reveal();
  provider.verifyErrors.push(...(options.verifyErrors ?? []));
  calls.length = 0;
  events.length = 0;
  return { calls, events, clock, store, provider, runtime, old };
}

describe('engine invariants (docs/design.md)', () => {
  it('1. nothing is lost: when staging fails, the credential just created is revoked', async () => {
    const { store, provider, runtime, calls, old } = await rotatedOnce();
    store.failStaging = true;
    const outcome = await run(runtime);
    expect(outcome).toMatchObject({ status: 'needs-attention', code: 'STORE_UNREACHABLE' });
    const created = calls.filter((c) => c.op === 'provider.create').map((c) => c.value);
    expect(created.length).toBeGreaterThan(0);
    for (const value of created) expect(calls).toContainEqual({ op: 'provider.revoke', value });
    expect([...provider.live]).toEqual([old]); // only the recorded credential is alive
    expect(store.current?.value.reveal()).toBe(old);
  });

  it('2. no reader sees an unverified credential: a failed verify leaves current untouched', async () => {
    const { store, runtime, old, events } = await rotatedOnce({ verifyErrors: [new RotadError('VERIFY_FAILED', 'organization mismatch')] });
    const outcome = await run(runtime);
    expect(outcome).toMatchObject({ status: 'needs-attention', code: 'VERIFY_FAILED' });
    expect(store.current?.value.reveal()).toBe(old);
    expect(store.pending).toBeDefined();
    expect(store.state.attention).toMatchObject({ phase: 'verify', code: 'VERIFY_FAILED' });
    expect(events.find((e) => e.type === 'needs-attention')?.message).toMatch(/current credential is unchanged/);
  });

  it('a first rotation that stops says there is no older credential, not that the old one is still valid', async () => {
    const calls: Call[] = [];
    const events: RotationEvent[] = [];
    const clock = new FakeClock();
    const store = new MemoryStore(calls);
    const broken = recordingConsumer(
      calls,
      'app',
      Array.from({ length: 10 }, () => new RotadError('CONSUMER_FAILED', 'reload hook answered 400')),
    );
    const runtime = policyRuntime({ store, provider: recordingProvider(calls), clock, consumers: [broken], events });
    expect(await run(runtime, 'initial')).toMatchObject({ status: 'needs-attention', code: 'CONSUMER_FAILED' });
    const message = events.find((e) => e.type === 'needs-attention')?.message;
    expect(message).toMatch(/new credential is current and there is no older one to go back to/);
    expect(message).not.toMatch(/old credential is still valid|rotad rollback/);
  });

  it('2. promote happens only after the provider accepted the new credential', async () => {
    const { calls, runtime, clock } = await rotatedOnce();
    await run(runtime);
    clock.time += 60_000;
    await run(runtime, 'resume');
    const ops = calls.map((c) => c.op);
    expect(ops.indexOf('provider.verify')).toBeLessThan(ops.indexOf('store.promote'));
    expect(calls.find((c) => c.op === 'provider.verify')?.value).toBe(calls.find((c) => c.op === 'store.promote')?.value);
  });

  it('3. the old credential outlives the rollout: revoked after every consumer and the grace period', async () => {
    const { calls, runtime, clock, old } = await rotatedOnce();
    const first = await run(runtime);
    expect(first).toMatchObject({ status: 'waiting', until: clock.now() + 60_000 });
    expect(calls.some((c) => c.op === 'provider.revoke')).toBe(false);
    clock.time += 59_999;
    expect(await run(runtime, 'resume')).toMatchObject({ status: 'waiting' });
    clock.time += 1;
    expect(await run(runtime, 'resume')).toMatchObject({ status: 'completed' });
    const ops = calls.map((c) => c.op);
    const revokeAt = ops.indexOf('provider.revoke');
    expect(calls[revokeAt]?.value).toBe(old);
    expect(ops.indexOf('consumer.app')).toBeLessThan(revokeAt);
    expect(ops.indexOf('consumer.webhook')).toBeLessThan(revokeAt);
  });

  it('3. a failing consumer stops the rotation before revoke: the old credential stays valid', async () => {
    const calls: Call[] = [];
    const clock = new FakeClock();
    const store = new MemoryStore(calls);
    const provider = recordingProvider(calls);
    const broken = recordingConsumer(
      calls,
      'app',
      Array.from({ length: 10 }, () => new RotadError('CONSUMER_FAILED', 'reload hook answered 500', { retryable: true })),
    );
    const runtime = policyRuntime({ store, provider, clock, consumers: [broken] });
    store.current = { value: (await provider.obtain!({} as never, undefined)).value, rotationId: 'seed', createdAt: 0 };
    const old = store.current.value.reveal();
    const outcome = await run(runtime);
    expect(outcome).toMatchObject({ status: 'needs-attention', code: 'CONSUMER_FAILED' });
    expect(provider.live.has(old)).toBe(true);
    expect(calls.some((c) => c.op === 'provider.revoke')).toBe(false);
    expect(store.previous?.value.reveal()).toBe(old);
  });

  it('5. bounded failure: retries back off exponentially, honour Retry-After, then stop in needs-attention', async () => {
    const rateLimited = (ms?: number) => new RotadError('PROVIDER_RATE_LIMITED', '429', { retryable: true, retryAfterMs: ms });
    const { runtime, clock, store, old } = await rotatedOnce({
      verifyErrors: [rateLimited(), rateLimited(20_000), rateLimited(), rateLimited(), rateLimited()],
    });
    const outcome = await run(runtime);
    expect(outcome).toMatchObject({ status: 'needs-attention', code: 'PROVIDER_RATE_LIMITED' });
    expect(clock.sleeps).toHaveLength(3); // 4 attempts
    const [d1, d2, d3] = clock.sleeps as [number, number, number];
    expect(d1).toBeGreaterThanOrEqual(500);
    expect(d1).toBeLessThanOrEqual(1000);
    expect(d2).toBe(20_000); // Retry-After beats the 1–2 s backoff
    expect(d3).toBeGreaterThanOrEqual(2000);
    expect(d3).toBeLessThanOrEqual(4000);
    expect(store.current?.value.reveal()).toBe(old);
    // It does not run again on its own…
    expect(store.state.attention).toBeDefined();
    // …until a person asks: then it resumes the same rotation and finishes.
    const rotationId = store.state.rotationId;
    store.state = { ...store.state, requestedAt: clock.now() };
    const resumed = await run(runtime, 'cli');
    expect(resumed).toMatchObject({ rotationId });
  });

  it('5. an error that cannot succeed on retry is not retried', async () => {
    const { runtime, clock } = await rotatedOnce({ verifyErrors: [new RotadError('PROVIDER_REJECTED', '401')] });
    expect(await run(runtime)).toMatchObject({ status: 'needs-attention', code: 'PROVIDER_REJECTED' });
    expect(clock.sleeps).toHaveLength(0);
  });
});

describe('rollback', () => {
  it('after a rotation, restores the previous credential and hands it to every consumer', async () => {
    const { runtime, store, calls, old, clock } = await rotatedOnce({ revokes: false });
    await run(runtime);
    clock.time += 60_000;
    await run(runtime, 'resume');
    expect(store.current?.value.reveal()).not.toBe(old);
    calls.length = 0;
    expect(await rollbackPolicy(runtime)).toMatchObject({ action: 'rolled-back' });
    expect(store.current?.value.reveal()).toBe(old);
    expect(calls.filter((c) => c.op.startsWith('consumer.')).map((c) => c.value)).toEqual([old, old]);
    expect(store.state.history.at(-1)?.outcome).toBe('rolled-back');
  });

  it('a second rollback in a row says that it rolls forward, to the credential the first one stepped back from', async () => {
    const { runtime, store, old, clock } = await rotatedOnce({ revokes: false });
    await run(runtime);
    clock.time += 60_000;
    await run(runtime, 'resume');
    const first = await rollbackPolicy(runtime);
    expect(first.message).not.toMatch(/rolls forward/);
    expect(store.current?.value.reveal()).toBe(old);
    clock.time += 60_000;
    await run(runtime, 'resume'); // the retire of what it abandoned ends
    // A provider that can neither revoke nor have a person delete: the abandoned credential stays alive, so it can come back.
    expect(store.previous?.revokedAt).toBeUndefined();
    const second = await rollbackPolicy(runtime);
    expect(second.message).toMatch(/this rolls forward: it is the credential the last rollback stepped back from/);
    expect(store.current?.value.reveal()).not.toBe(old);
  });

  it('hands consumers the facts the policy stores beside its secret, as a rotation does', async () => {
    const { runtime, calls } = await rotatedOnce({ revokes: false });
    runtime.ref = { name: 'p', facts: { username: 'credentialId' } };
    await run(runtime);
    expect(await rollbackPolicy(runtime)).toMatchObject({ action: 'rolled-back' });
    const updates = calls.filter((c) => c.op.startsWith('consumer.'));
    expect(updates.length).toBe(4); // two consumers: the rotation, then the rollback
    expect(updates.map((c) => c.facts)).toEqual(Array(4).fill({ username: 'credentialId' }));
  });

  it('a credential rolled back from (in grace) is retired after its own grace period: revoked, and the rotation ends with the old one current', async () => {
    const { runtime, store, provider, old, clock, events } = await rotatedOnce();
    expect(await run(runtime)).toMatchObject({ status: 'waiting' }); // promoted, consumers updated, grace running
    const abandoned = store.current!.value.reveal();
    expect(await rollbackPolicy(runtime)).toMatchObject({ action: 'rolled-back' });
    expect(store.previous?.value.reveal()).toBe(abandoned);
    expect(store.state).toMatchObject({ phase: 'grace', retire: { slot: 'previous', reason: 'rolled-back', then: 'idle' } });
    // Readers that picked the abandoned one up from the store get the grace period too.
    expect(await run(runtime, 'resume')).toMatchObject({ status: 'waiting' });
    expect(provider.live.has(abandoned)).toBe(true);
    await expect(rollbackPolicy(runtime)).rejects.toMatchObject({ code: 'ROLLBACK_UNSAFE', message: expect.stringMatching(/rolled back already/) });
    clock.time += 60_000;
    expect(await run(runtime, 'resume')).toMatchObject({ status: 'retired' });
    expect(provider.live.has(abandoned)).toBe(false);
    expect(provider.live.has(old)).toBe(true);
    expect(store.current?.value.reveal()).toBe(old);
    expect(store.previous).toMatchObject({ revokedAt: clock.now() });
    expect(store.state).toMatchObject({ phase: 'idle', retire: undefined, lease: undefined });
    expect(events.map((e) => e.type)).not.toContain('rotation-succeeded');
  });

  it('is not refused when a daemon writes the state between its read and its take (a rotation waiting for a person looks every few seconds)', async () => {
    const { runtime, store, old, clock } = await rotatedOnce({ revokes: false });
    await run(runtime);
    clock.time += 60_000;
    await run(runtime, 'resume');
    // Two writes of "another daemon" land right after each of rollback's first two reads.
    let interleaved = 2;
    const read = store.read.bind(store);
    store.read = async () => {
      const snapshot = await read();
      if (interleaved-- > 0) await store.writeState({ name: 'p' }, { ...store.state, alertsSent: [...store.state.alertsSent] }, String(store.revision));
      return snapshot;
    };
    expect(await rollbackPolicy(runtime)).toMatchObject({ action: 'rolled-back' });
    expect(store.current?.value.reveal()).toBe(old);
    expect(clock.sleeps).toHaveLength(2);
  });

  it("waits for a daemon's short look at a waiting rotation instead of refusing", async () => {
    const { runtime, store, old, clock } = await rotatedOnce({ revokes: false });
    await run(runtime);
    clock.time += 60_000;
    await run(runtime, 'resume');
    // A daemon holds the policy for a look; it lets go 300 ms later.
    const lookEnds = clock.now() + 300;
    store.state = { ...store.state, lease: { owner: 'daemon:other-host:1:abc', until: clock.now() + 60_000 } };
    const read = store.read.bind(store);
    store.read = async () => {
      if (clock.now() >= lookEnds && store.state.lease) store.state = { ...store.state, lease: undefined };
      return read();
    };
    expect(await rollbackPolicy(runtime)).toMatchObject({ action: 'rolled-back' });
    expect(store.current?.value.reveal()).toBe(old);
    expect(clock.now()).toBeGreaterThanOrEqual(lookEnds);
  });

  it('refuses when the previous credential was already revoked', async () => {
    const { runtime, clock } = await rotatedOnce();
    await run(runtime);
    clock.time += 60_000;
    await run(runtime, 'resume');
    await expect(rollbackPolicy(runtime)).rejects.toMatchObject({ code: 'ROLLBACK_UNSAFE' });
  });

  it('before promote, abandons the rotation and revokes the unused new credential', async () => {
    const { runtime, store, provider, old } = await rotatedOnce({ verifyErrors: [new RotadError('VERIFY_FAILED', 'wrong organization')] });
    await run(runtime);
    const abandoned = store.pending!.value.reveal();
    expect(await rollbackPolicy(runtime)).toMatchObject({ action: 'aborted' });
    expect(store.pending).toBeUndefined();
    expect(store.state.phase).toBe('idle');
    expect(provider.live.has(abandoned)).toBe(false);
    expect(store.current?.value.reveal()).toBe(old);
  });

  it('refuses while another holder works on the policy, and proceeds once its lease has run out', async () => {
    const { runtime, store, clock } = await rotatedOnce();
    await run(runtime); // now waiting in grace
    expect(store.state.phase).toBe('grace');
    const heldFrom = clock.now();
    store.state = { ...store.state, lease: { owner: 'daemon:other-host:1:abc', until: heldFrom + 60_000 } };
    await expect(rollbackPolicy(runtime)).rejects.toMatchObject({ code: 'ROTATION_IN_PROGRESS' });
    // It waited a few seconds for the lease first, then gave up.
    expect(clock.now() - heldFrom).toBe(5_000);
    clock.time = heldFrom + 60_001; // that daemon died: its lease runs out unrenewed
    expect(await rollbackPolicy(runtime)).toMatchObject({ action: 'rolled-back' });
    // Released; the credential it abandoned is retired next (after the grace period).
    expect(store.state).toMatchObject({ phase: 'grace', lease: undefined, retire: { reason: 'rolled-back' } });
  });

  describe("the engine's own assertions (src/rotation/invariants.ts)", () => {
    /** Replaces one step's run for the test: a bug in the protocol table, as the assertions must catch it. */
    type Run = (typeof STEPS)['obtain']['run'];
    /** Runs `body` with the step of `phase` replaced by `wrap` of its real run. */
    async function withStep<T>(phase: keyof typeof STEPS, wrap: (real: Run) => Run, body: () => Promise<T>): Promise<T> {
      const steps = STEPS as Record<string, { run: Run }>;
      const original = steps[phase]!.run;
      steps[phase]!.run = wrap(original);
      try {
        return await body();
      } finally {
        steps[phase]!.run = original;
      }
    }

    it('a step that skips verify stops the rotation in needs-attention (INTERNAL) before the new credential becomes current', async () => {
      const { store, runtime, calls, old } = await rotatedOnce();
      const outcome = await withStep(
        'obtain',
        (real) => async (ctx) => ({ ...(await real(ctx)), patch: { phase: 'promote' } }),
        () => run(runtime),
      );
      expect(outcome).toMatchObject({ status: 'needs-attention', code: 'INTERNAL' });
      expect(store.state.attention?.message).toMatch(/^protocol invariant broken: step obtain may not be followed by promote/);
      expect(store.current?.value.reveal()).toBe(old);
      expect(calls.some((c) => c.op === 'provider.verify' || c.op.startsWith('consumer'))).toBe(false);
    });

    it('a step that jumps from consumers to revoke is stopped before revoking the old credential', async () => {
      const { runtime, provider, old } = await rotatedOnce();
      const outcome = await withStep(
        'consumers',
        (real) => async (ctx) => ({ ...(await real(ctx)), patch: { phase: 'revoke' } }),
        () => run(runtime),
      );
      expect(outcome).toMatchObject({ status: 'needs-attention', code: 'INTERNAL' });
      expect(provider.live.has(old)).toBe(true);
    });

    it('a consumer added while the rotation waited in grace gets the new credential before the old one is revoked', async () => {
      const { runtime, calls, clock, provider, old, store } = await rotatedOnce();
      expect(await run(runtime)).toMatchObject({ status: 'waiting' });
      const added = recordingConsumer(calls, 'added-by-reload');
      const reloaded = { ...runtime, consumers: [...runtime.consumers, { key: `2:${added.label}`, consumer: added }] };
      clock.time += 60_001;
      expect(await run(reloaded)).toMatchObject({ status: 'waiting' });
      const fresh = store.current!.value.reveal();
      expect(calls).toContainEqual(expect.objectContaining({ op: 'consumer.added-by-reload', value: fresh }));
      expect(provider.live.has(old)).toBe(true);
      clock.time += 60_001;
      expect(await run(reloaded)).toMatchObject({ status: 'completed' });
      expect(provider.live.has(old)).toBe(false);
      const order = calls.map((c) => `${c.op}:${c.value === old ? 'old' : c.value === fresh ? 'new' : '?'}`);
      expect(order.indexOf('consumer.added-by-reload:new')).toBeLessThan(order.indexOf('provider.revoke:old'));
    });
  });
});
