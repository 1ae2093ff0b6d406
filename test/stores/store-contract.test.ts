import { describe, expect, it } from 'vitest';
import { systemClock } from '../../src/clock.js';
import { randomProvider } from '../../src/providers/random/index.js';
import { runRotation } from '../../src/rotation/engine.js';
import { IDLE_STATE, PHASES, type Phase } from '../../src/policy-state.js';
import { Secret } from '../../src/secret.js';
import type { Store } from '../../src/stores/types.js';
import { FakeClock, policyRuntime } from '../helpers/engine-doubles.js';
import { openStore, STORE_KINDS } from '../helpers/store-kinds.js';

const credential = (value: string, rotationId: string) => ({ value: new Secret(value), rotationId, createdAt: 1_700_000_000_000, id: `id-${rotationId}` });
const values = async (store: Store, name: string) => {
  const s = await store.read({ name });
  return { current: s.current?.value.reveal(), previous: s.previous?.value.reveal(), pending: s.pending?.value.reveal() };
};
const random = () => randomProvider.create({ type: 'random', length: 24, alphabet: 'alphanumeric', encoding: 'raw' });

class Crash extends Error {}

describe.each(STORE_KINDS)('store contract: $type', (kind) => {
  it('not found is a value: an idle state and no credentials', async () => {
    const snapshot = await openStore(await kind.options()).read({ name: 'never-seen' });
    expect(snapshot).toMatchObject({ state: IDLE_STATE, current: undefined, previous: undefined, pending: undefined });
    expect(typeof snapshot.revision).toBe('string');
  });

  it('stage → promote → stage → promote → rollback, each idempotent', async () => {
    const store = openStore(await kind.options());
    const p = { name: 'cycle' };
    await store.stagePending(p, credential('contract-value-one', 'rotation-0001-aaaaaaaaaaaaaaaaaaaaaaaa'));
    await store.stagePending(p, credential('contract-value-one', 'rotation-0001-aaaaaaaaaaaaaaaaaaaaaaaa'));
    expect(await values(store, 'cycle')).toEqual({ current: undefined, previous: undefined, pending: 'contract-value-one' });
    await expect(store.stagePending(p, credential('contract-other', 'rotation-0009-aaaaaaaaaaaaaaaaaaaaaaaa'))).rejects.toMatchObject({
      code: 'STORE_CONFLICT',
    });
    // A second value under the same rotation id would be a credential the store forgets: refused too.
    await expect(store.stagePending(p, credential('contract-value-one-bis', 'rotation-0001-aaaaaaaaaaaaaaaaaaaaaaaa'))).rejects.toMatchObject({
      code: 'STORE_CONFLICT',
    });
    expect((await values(store, 'cycle')).pending).toBe('contract-value-one');
    await store.promote(p, 'rotation-0001-aaaaaaaaaaaaaaaaaaaaaaaa');
    await store.promote(p, 'rotation-0001-aaaaaaaaaaaaaaaaaaaaaaaa');
    expect(await values(store, 'cycle')).toEqual({ current: 'contract-value-one', previous: undefined, pending: undefined });
    // Promoting a rotation whose staged credential is not there is a lost record, not a lost race.
    await expect(store.promote(p, 'rotation-0077-aaaaaaaaaaaaaaaaaaaaaaaa')).rejects.toMatchObject({ code: 'STORE_RECORD_LOST' });
    await store.stagePending(p, credential('contract-value-two', 'rotation-0002-aaaaaaaaaaaaaaaaaaaaaaaa'));
    expect((await values(store, 'cycle')).current, 'pending is invisible as current').toBe('contract-value-one');
    await store.promote(p, 'rotation-0002-aaaaaaaaaaaaaaaaaaaaaaaa');
    const promoted = await store.read(p);
    expect(promoted.current).toMatchObject({ rotationId: 'rotation-0002-aaaaaaaaaaaaaaaaaaaaaaaa', id: 'id-rotation-0002-aaaaaaaaaaaaaaaaaaaaaaaa' });
    expect(await values(store, 'cycle')).toEqual({ current: 'contract-value-two', previous: 'contract-value-one', pending: undefined });
    await store.rollback(p);
    expect(await values(store, 'cycle')).toMatchObject({ current: 'contract-value-one', previous: 'contract-value-two' });
  });

  it('discards a pending credential by rotation id only', async () => {
    const store = openStore(await kind.options());
    const p = { name: 'discard' };
    await store.stagePending(p, credential('contract-discard', 'rotation-0003-aaaaaaaaaaaaaaaaaaaaaaaa'));
    await store.discardPending(p, 'rotation-other-aaaaaaaaaaaaaaaaaaaaaaaaaaaa');
    expect((await values(store, 'discard')).pending).toBe('contract-discard');
    await store.discardPending(p, 'rotation-0003-aaaaaaaaaaaaaaaaaaaaaaaa');
    expect((await values(store, 'discard')).pending).toBeUndefined();
  });

  it('state and metadata round-trip; revocation is recorded on the previous credential', async () => {
    const store = openStore(await kind.options());
    const p = { name: 'meta' };
    const { revision } = await store.read(p);
    const state = {
      ...IDLE_STATE,
      lastRotatedAt: 1234,
      lastRotationId: 'r-meta',
      history: [{ rotationId: 'r-meta', outcome: 'succeeded' as const, at: 1234 }],
    };
    const next = await store.writeState(p, state, revision);
    expect(next).not.toBe(revision);
    expect((await store.read(p)).state).toEqual(state);
    await store.stagePending(p, credential('contract-meta-1', 'rotation-m1-aaaaaaaaaaaaaaaaaaaaaaaaaa'));
    await store.promote(p, 'rotation-m1-aaaaaaaaaaaaaaaaaaaaaaaaaa');
    await store.stagePending(p, credential('contract-meta-2', 'rotation-m2-aaaaaaaaaaaaaaaaaaaaaaaaaa'));
    await store.promote(p, 'rotation-m2-aaaaaaaaaaaaaaaaaaaaaaaaaa');
    expect((await store.read(p)).revision, 'credential moves do not disturb the state revision').toBe(next);
    await store.markPreviousRevoked(p, 'rotation-m2-aaaaaaaaaaaaaaaaaaaaaaaaaa', 5678);
    expect((await store.read(p)).previous?.revokedAt).toBe(5678);
  });

  it('files history beside the state: merged by rotation and outcome, the newest kept, the state untouched', async () => {
    const options = await kind.options();
    const store = openStore(options);
    const p = { name: 'filed' };
    expect(await store.readHistory(p)).toEqual([]);
    const entry = (n: number, outcome: 'succeeded' | 'rolled-back' = 'succeeded', at = 1_000 + n) => ({
      rotationId: `rotation-h${n}`,
      outcome,
      at,
      trigger: 'schedule' as const,
      actor: 'schedule',
      startedAt: at - 50,
      phases: [['obtain', at - 50] as ['obtain', number], ['verify', at - 20] as ['verify', number]],
      fingerprints: { new: `fp-new-${n}`, old: `fp-old-${n}` },
    });
    const { revision } = await store.read(p);
    await store.fileHistory(p, [entry(1), entry(2)], 3);
    await store.fileHistory(p, [entry(2), entry(3)], 3);
    await store.fileHistory(p, [entry(2), entry(3)], 3);
    await store.fileHistory(p, [entry(4), entry(3, 'rolled-back', 1_010)], 3);
    const filed = await store.readHistory(p);
    expect(filed.map((e) => `${e.rotationId}/${e.outcome}`)).toEqual(['rotation-h3/succeeded', 'rotation-h4/succeeded', 'rotation-h3/rolled-back']);
    expect(filed[0]).toEqual(entry(3));
    expect((await store.read(p)).revision, 'the state record is not written').toBe(revision);
    // Another handle (another replica) reads the same history.
    expect(await openStore(options).readHistory(p)).toEqual(filed);
  });

  it('keeps the replica roster (daemon.sharding): concurrent updates from two replicas all land', async () => {
    const options = await kind.options();
    const [a, b] = [openStore(options), openStore(options)];
    if (a.readRoster === undefined || a.updateRoster === undefined) {
      // Only a store that serves one daemon leaves it out; the config refuses sharding on it.
      expect(kind.type).toBe('file');
      return;
    }
    expect(await a.readRoster()).toEqual({ members: {} });
    const join = (store: Store, owner: string, at: number) =>
      store.updateRoster!((roster) => ({ ...roster, members: { ...roster.members, [owner]: { until: at + 10_000, since: at } } }));
    await Promise.all(Array.from({ length: 6 }, (_, i) => join(i % 2 === 0 ? a : b, `replica-${i}`, 1_000 + i)));
    await b.updateRoster!((roster) => ({ ...roster, wake: { seq: (roster.wake?.seq ?? 0) + 1, at: 5, by: 'replica-1' } }));
    const seen = await openStore(options).readRoster!();
    expect(Object.keys(seen.members).sort()).toEqual(['replica-0', 'replica-1', 'replica-2', 'replica-3', 'replica-4', 'replica-5']);
    expect(seen.wake).toEqual({ seq: 1, at: 5, by: 'replica-1' });
    // Nothing to change writes nothing, and the record is rotad's own: no policy reads it.
    expect(await a.updateRoster(() => undefined)).toEqual(seen);
    expect((await a.read({ name: 'replica-0' })).state).toEqual(IDLE_STATE);
  });

  it('concurrent writers: of two writes from the same revision, exactly one wins', async () => {
    const options = await kind.options();
    const [a, b] = [openStore(options), openStore(options)];
    const p = { name: 'race' };
    const { revision } = await a.read(p);
    const results = await Promise.allSettled([
      a.writeState(p, { ...IDLE_STATE, requestedAt: 1 }, revision),
      b.writeState(p, { ...IDLE_STATE, requestedAt: 2 }, revision),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const rejected = results.find((r) => r.status === 'rejected');
    expect(rejected?.status === 'rejected' && rejected.reason).toMatchObject({ code: 'STORE_CONFLICT' });
    const winner = results[0]?.status === 'fulfilled' ? 1 : 2;
    expect((await a.read(p)).state.requestedAt).toBe(winner);
  });

  it('one writer: two engines racing the same policy make exactly one rotation', async () => {
    const options = await kind.options();
    const runtimes = [0, 1].map(() => ({ ...policyRuntime({ store: openStore(options), provider: random(), clock: new FakeClock() }), clock: systemClock }));
    const outcomes = (await Promise.all(runtimes.map((r) => runRotation(r, 'schedule', new AbortController().signal)))).map((o) => o.status);
    // Never two: one completes and the other steps aside. Under heavy load both have been seen to
    // step aside (twice in CI on vault, not reproduced alone): then nothing was done, and the policy
    // is not wedged: the next run completes it. Either way exactly one rotation happens.
    expect(outcomes.filter((o) => o === 'completed').length).toBeLessThanOrEqual(1);
    expect(outcomes.every((o) => o === 'completed' || o === 'busy')).toBe(true);
    if (!outcomes.includes('completed')) {
      const again: string[] = [];
      for (const r of runtimes) if (!again.includes('completed')) again.push((await runRotation(r, 'schedule', new AbortController().signal)).status);
      expect(again, `after ${outcomes.join(' and ')}`).toContain('completed');
    }
    const snapshot = await openStore(options).read({ name: 'p' });
    expect(snapshot.state.history).toHaveLength(1);
    expect(snapshot.pending).toBeUndefined();
  });

  it.each(
    PHASES.flatMap(
      (phase) =>
        [
          ['before', phase],
          ['after', phase],
        ] as const,
    ),
  )('resumes after a crash %s %s, converging on one new credential', async (moment, phase) => {
    const options = await kind.options();
    const runtime = (faultAt?: [string, Phase]) => ({
      ...policyRuntime({ store: openStore(options), provider: random(), clock: new FakeClock() }),
      clock: systemClock,
      faults:
        faultAt &&
        ((m: string, p: Phase) => {
          if (m === faultAt[0] && p === faultAt[1]) throw new Crash(`${m}:${p}`);
        }),
    });
    await runRotation(runtime(), 'initial', new AbortController().signal);
    const old = await values(openStore(options), 'p');
    await expect(runRotation(runtime([moment, phase]), 'cli', new AbortController().signal)).rejects.toBeInstanceOf(Crash);
    const atCrash = await openStore(options).read({ name: 'p' });
    const outcome = await runRotation(runtime(), 'resume', new AbortController().signal);
    expect(outcome).toMatchObject({ status: 'completed', rotationId: atCrash.state.rotationId });
    const after = await values(openStore(options), 'p');
    expect(after.previous).toBe(old.current);
    expect(after.current).not.toBe(old.current);
    expect(after.pending).toBeUndefined();
    const staged = [atCrash.pending, atCrash.current].find((c) => c?.rotationId === atCrash.state.rotationId);
    if (staged) expect(after.current).toBe(staged.value.reveal());
  });

  it('refuses access clearly and loses nothing', async () => {
    const options = await kind.options();
    const store = openStore(options);
    await store.stagePending({ name: 'guarded' }, credential('contract-guarded', 'rotation-g1-aaaaaaaaaaaaaaaaaaaaaaaaaa'));
    await store.promote({ name: 'guarded' }, 'rotation-g1-aaaaaaaaaaaaaaaaaaaaaaaaaa');
    const denied = await kind.denied(options);
    const intruder = openStore(denied.options);
    await expect(intruder.read({ name: 'guarded' })).rejects.toMatchObject({ code: denied.code, retryable: false });
    await expect(intruder.stagePending({ name: 'guarded' }, credential('contract-intruder', 'rotation-g2-aaaaaaaaaaaaaaaaaaaaaaaaaa'))).rejects.toMatchObject({
      code: denied.code,
    });
    expect(await values(store, 'guarded')).toEqual({ current: 'contract-guarded', previous: undefined, pending: undefined });
  });

  it('an unreachable store is a retryable STORE_UNREACHABLE that names it', async () => {
    const store = openStore(await kind.unreachable(await kind.options()));
    const error = await store
      .stagePending({ name: 'x' }, credential('contract-unreachable', 'rotation-u1-aaaaaaaaaaaaaaaaaaaaaaaaaa'))
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'STORE_UNREACHABLE', retryable: true });
    await expect(store.ping()).rejects.toMatchObject({ code: 'STORE_UNREACHABLE' });
  });
});
