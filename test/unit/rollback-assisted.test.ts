import { describe, expect, it } from 'vitest';
import { handOver } from '../../src/handover/take-token.js';
import type { RotationEvent } from '../../src/notifiers/types.js';
import { runRotation } from '../../src/rotation/engine.js';
import { rollbackPolicy } from '../../src/rotation/rollback.js';
import { Secret } from '../../src/secret.js';
import { assistedProvider, FakeClock, MemoryStore, policyRuntime } from '../helpers/engine-doubles.js';

const HOUR = 3_600_000;
const retry = { attempts: 1, initialDelayMs: 1, maxDelayMs: 1 };

/** An assisted policy whose rotation has handed over `new-token`, promoted it, and now asks the person to delete `old-token`. */
async function waitingForDeletion() {
  const clock = new FakeClock();
  const events: RotationEvent[] = [];
  const live = new Set(['old-token']);
  const store = new MemoryStore([]);
  store.current = { value: new Secret('old-token'), rotationId: 'r0', createdAt: clock.now() - 90 * 24 * HOUR };
  const runtime = policyRuntime({
    store,
    provider: assistedProvider(live),
    clock,
    events,
    graceMs: 60_000,
    assist: { remindMs: 4 * HOUR, deadlineMs: 24 * HOUR, checkMs: 60_000 },
  });
  const signal = new AbortController().signal;
  await runRotation(runtime, 'schedule', signal);
  const rotationId = store.state.rotationId!;
  live.add('new-token');
  expect(await handOver(runtime, new Secret('new-token'), retry, 'cli')).toMatchObject({ accepted: true });
  await runRotation(runtime, 'resume', signal); // verify, promote, consumers, grace
  clock.time += 60_000;
  expect(await runRotation(runtime, 'resume', signal)).toMatchObject({ status: 'waiting' });
  expect(store.state).toMatchObject({ phase: 'revoke', assist: { action: 'delete' } });
  expect(events.at(-1)!.message).toContain(`Delete the token of rotation r0; keep the one of rotation ${rotationId}`);
  return { clock, events, live, store, runtime, signal, rotationId };
}

describe('rollback during an assisted rotation', () => {
  it('withdraws the request to delete the older token, asks for the abandoned one by name, and ends once it is rejected', async () => {
    const { clock, events, live, store, runtime, signal, rotationId } = await waitingForDeletion();
    expect(await rollbackPolicy(runtime)).toMatchObject({ action: 'rolled-back', restoredRotationId: 'r0' });
    expect(store.current?.value.reveal()).toBe('old-token');
    // The daemon sends these: the withdrawal first (wherever requests go), then the rollback.
    const notices = store.state.outbox.map((n) => n.type);
    expect(notices).toEqual(['request-withdrawn', 'rotation-rolled-back']);
    expect(store.state.outbox[0]!.message).toMatch(/do NOT delete it, it is the credential in use again/);
    expect(store.state).toMatchObject({ phase: 'grace', assist: undefined, retire: { slot: 'previous', rotationId, reason: 'rolled-back' } });

    events.length = 0;
    clock.time += 60_000;
    expect(await runRotation(runtime, 'resume', signal)).toMatchObject({ status: 'waiting' });
    const request = events.find((e) => e.type === 'action-required')!;
    expect(request.message).toContain(`Delete the token of rotation ${rotationId}; keep the one of rotation r0`);
    expect(request.message).toContain('the rollback abandoned it');
    // Not deleted yet: the request stays open, and nobody was ever asked to delete the token in use.
    clock.time += 60_000;
    expect(await runRotation(runtime, 'resume', signal)).toMatchObject({ status: 'waiting' });
    live.delete('new-token');
    clock.time += 60_000;
    expect(await runRotation(runtime, 'resume', signal)).toMatchObject({ status: 'retired' });
    expect(events.map((e) => e.type)).toContain('revocation-confirmed');
    expect(events.map((e) => e.type)).not.toContain('rotation-succeeded');
    expect(store.state).toMatchObject({ phase: 'idle', retire: undefined, assist: undefined, lastRotationId: 'r0' });
    expect([...live]).toEqual(['old-token']);
  });

  it('refuses to restore a previous token the person already deleted', async () => {
    const { live, store, runtime } = await waitingForDeletion();
    live.delete('old-token');
    await expect(rollbackPolicy(runtime)).rejects.toMatchObject({ code: 'ROLLBACK_UNSAFE', message: expect.stringMatching(/no longer accepted/) });
    expect(store.current?.value.reveal()).toBe('new-token');
    expect(store.state.lease).toBeUndefined();
  });

  it('before promote: the handed-over token is not discarded unseen; the person is asked to delete exactly it', async () => {
    const clock = new FakeClock();
    const events: RotationEvent[] = [];
    const live = new Set(['old-token']);
    const store = new MemoryStore([]);
    store.current = { value: new Secret('old-token'), rotationId: 'r0', createdAt: clock.now() };
    const runtime = policyRuntime({
      store,
      provider: assistedProvider(live),
      clock,
      events,
      assist: { remindMs: 4 * HOUR, deadlineMs: 24 * HOUR, checkMs: 60_000 },
    });
    const signal = new AbortController().signal;
    await runRotation(runtime, 'schedule', signal);
    const rotationId = store.state.rotationId!;
    live.add('new-token');
    await handOver(runtime, new Secret('new-token'), retry, 'cli');
    expect(await rollbackPolicy(runtime)).toMatchObject({ action: 'aborted' });
    expect(store.pending?.value.reveal()).toBe('new-token'); // kept until its deletion is confirmed
    expect(store.state).toMatchObject({ phase: 'revoke', retire: { slot: 'pending', rotationId, reason: 'abandoned' } });
    events.length = 0;
    expect(await runRotation(runtime, 'resume', signal)).toMatchObject({ status: 'waiting' });
    expect(events.find((e) => e.type === 'action-required')!.message).toContain(`Delete the token of rotation ${rotationId}; keep the one of rotation r0`);
    live.delete('new-token');
    clock.time += 60_000;
    expect(await runRotation(runtime, 'resume', signal)).toMatchObject({ status: 'retired' });
    expect(store.pending).toBeUndefined();
    expect(store.current?.value.reveal()).toBe('old-token');
    expect(store.state.phase).toBe('idle');
  });
});
