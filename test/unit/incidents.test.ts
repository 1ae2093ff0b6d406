import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { handleLeak } from '../../src/control/leaks.js';
import { CredentialIndex } from '../../src/credential-index.js';
import { followProgress, progressOf, settled, summarize, type Progress } from '../../src/control/progress.js';
import type { PolicyStatus } from '../../src/control/status.js';
import { selectPolicies } from '../../src/control/select.js';
import { recordIncident } from '../../src/control/update-state.js';
import { matchesSelector, parseSelector } from '../../src/labels.js';
import type { RotationEvent } from '../../src/notifiers/types.js';
import { runRotation } from '../../src/rotation/engine.js';
import { Secret } from '../../src/secret.js';
import { nextDue } from '../../src/timing/next-run.js';
import {
  assistedProvider,
  FakeClock,
  MemoryStore,
  policyRuntime,
  recordingConsumer,
  recordingProvider,
  resolvedPolicy,
  type Call,
} from '../helpers/engine-doubles.js';

const HOUR = 3_600_000;
const TIMING = { name: 'p', schedule: { kind: 'every' as const, intervalMs: 30 * 24 * HOUR }, windowMs: 0 };

describe('selectors', () => {
  const labels = { team: 'support', vendor: 'gladly', tier: 'prod' };

  it('match as Kubernetes label selectors do: equality, inequality, sets, existence', () => {
    const cases: Array<[string, boolean]> = [
      ['team=support', true],
      ['team==support,vendor=gladly', true],
      ['team=support,vendor=gorgias', false],
      ['vendor!=gorgias', true],
      ['pager!=yes', true],
      ['tier in (prod, staging)', true],
      ['tier notin (prod)', false],
      ['vendor', true],
      ['!vendor', false],
      ['!pager,team=support', true],
    ];
    for (const [text, expected] of cases) expect(matchesSelector(parseSelector(text), labels), text).toBe(expected);
  });

  it('refuses a selector it cannot read, naming the part and the expected form', () => {
    expect(() => parseSelector('')).toThrow(/it is empty/);
    expect(() => parseSelector('team=support,')).toThrow(/an empty requirement/);
    expect(() => parseSelector('te am=x')).toThrow(/'te am=x' is not a label key/);
    expect(() => parseSelector('team=sup port')).toThrow(/not a label key|not a label value/);
    expect(() => parseSelector('tier in (prod')).toThrow(/USAGE_INVALID|selector/);
  });

  it('selects by names, all or labels, and a selector that matches nothing lists the labels in use', () => {
    const clock = new FakeClock();
    const policy = (name: string, labelsOf: Record<string, string>) => {
      const runtime = policyRuntime({ store: new MemoryStore([]), provider: recordingProvider([]), clock });
      return { ...runtime, name, settings: resolvedPolicy(name, { labels: labelsOf }) };
    };
    const policies = new Map([
      ['a', policy('a', { team: 'support' })],
      ['b', policy('b', { team: 'billing' })],
    ]);
    expect(selectPolicies(policies, { selector: parseSelector('team=support') }).map((p) => p.name)).toEqual(['a']);
    expect(selectPolicies(policies, { all: true }).map((p) => p.name)).toEqual(['a', 'b']);
    expect(() => selectPolicies(policies, { selector: parseSelector('team=suport') })).toThrow(/labels in use: team=billing, team=support/);
    expect(() => selectPolicies(policies, { names: ['c'] })).toThrow(/no policy named 'c' \(known: a, b\)/);
  });
});

describe('incident rotations in the engine', () => {
  function world(graceMs = HOUR) {
    const calls: Call[] = [];
    const events: RotationEvent[] = [];
    const clock = new FakeClock();
    const store = new MemoryStore(calls);
    const provider = recordingProvider(calls);
    const runtime = policyRuntime({ store, provider, clock, events, calls, graceMs, consumers: [recordingConsumer(calls, 'app')] });
    runtime.settings = { ...runtime.settings, incidentGraceMs: 0 };
    return { calls, events, clock, store, runtime, signal: new AbortController().signal };
  }

  it('skips the grace, names the reason and who asked in every event, and is served once', async () => {
    const { events, clock, store, runtime, signal } = world();
    await runRotation(runtime, 'initial', signal); // no older credential: no grace
    expect(store.state.phase).toBe('idle');
    events.length = 0;

    await recordIncident(runtime, { reason: 'INC-7: key in a log', actor: 'api:ops', at: clock.now() });
    expect(nextDue(TIMING, store.state, clock.now())).toMatchObject({ reason: 'requested', at: clock.now() });
    const outcome = await runRotation(runtime, 'cli', signal);
    expect(outcome.status).toBe('completed'); // no hour of grace
    expect(store.state.incident).toBeUndefined();
    expect(store.state.requestedAt).toBeUndefined();
    expect(store.state.history.at(-1)).toMatchObject({ outcome: 'succeeded', incident: 'INC-7: key in a log' });
    expect(events.length).toBeGreaterThan(1);
    for (const event of events) {
      expect(event.incident).toEqual({ reason: 'INC-7: key in a log', actor: 'api:ops' });
      expect(event.message.startsWith('URGENT, incident: INC-7: key in a log (asked by api:ops)\n')).toBe(true);
    }
    expect(nextDue(TIMING, store.state, clock.now())!.reason).toBe('schedule');
  });

  it('finishes a rotation already past obtain (hurried out of its grace), then runs one more: the leaked value may be the new one', async () => {
    const { clock, store, runtime, signal } = world();
    await runRotation(runtime, 'initial', signal);
    // A routine rotation, now in its hour of grace.
    store.state = { ...store.state, requestedAt: clock.now() };
    expect((await runRotation(runtime, 'cli', signal)).status).toBe('waiting');
    expect(store.state.phase).toBe('grace');
    const routine = store.state.rotationId;
    const madeByRoutine = store.current!.value.reveal();

    clock.time += 60_000;
    await recordIncident(runtime, { reason: 'leak', actor: 'leak:github', at: clock.now() });
    expect(store.state.incident?.rotationId).toBeUndefined();
    // The grace is cut at once; the routine rotation completes, and asks for one more.
    expect((await runRotation(runtime, 'resume', signal)).status).toBe('completed');
    expect(store.state.lastRotationId).toBe(routine);
    expect(store.state.incident).toMatchObject({ reason: 'leak', actor: 'leak:github' });
    expect(nextDue(TIMING, store.state, clock.now())).toMatchObject({ reason: 'requested' });
    expect((await runRotation(runtime, 'cli', signal)).status).toBe('completed');
    expect(store.state.incident).toBeUndefined();
    expect(store.state.trigger).toBeUndefined();
    expect(store.state.history.at(-1)).toMatchObject({ incident: 'leak' });
    expect(store.current!.value.reveal()).not.toBe(madeByRoutine);
  });

  it('a report written twice (its answer lost) asks once; a second incident before the first is served joins its reason', async () => {
    const { clock, store, runtime } = world();
    const at = clock.now();
    await recordIncident(runtime, { reason: 'first', actor: 'cli', at });
    await recordIncident(runtime, { reason: 'first', actor: 'cli', at });
    expect(store.state.incident).toMatchObject({ reason: 'first', at });
    await recordIncident(runtime, { reason: 'second', actor: 'cli', at: at + 1 });
    expect(store.state.incident).toMatchObject({ reason: 'first; second', at: at + 1 });
  });
});

describe('leak matching', () => {
  it('finds the current, pending and previous credential by keyed fingerprint, and a revoked one asks for nothing', async () => {
    const clock = new FakeClock();
    const fingerprint = (value: Secret): string => createHmac('sha256', 'test-key').update(value.reveal()).digest('hex').slice(0, 16);
    const runtimeWith = (name: string, store: MemoryStore) => ({ ...policyRuntime({ store, provider: recordingProvider([]), clock }), name, ref: { name } });
    const a = new MemoryStore([]);
    a.current = { value: new Secret('aaaa'), rotationId: 'a2', createdAt: 0 };
    a.previous = { value: new Secret('bbbb'), rotationId: 'a1', createdAt: 0, revokedAt: 5 };
    const b = new MemoryStore([]);
    b.current = { value: new Secret('cccc'), rotationId: 'b1', createdAt: 0 };
    b.pending = { value: new Secret('dddd'), rotationId: 'b2', createdAt: 0 };
    b.state = { ...b.state, phase: 'verify', rotationId: 'b2' };
    const policies = [runtimeWith('a', a), runtimeWith('b', b)];

    const revoked = await handleLeak(policies, fingerprint, { value: new Secret('bbbb'), source: 'github' }, clock.now());
    expect(revoked.matches).toEqual([expect.objectContaining({ policy: 'a', slot: 'previous', action: 'already-revoked' })]);
    expect(a.state.incident).toBeUndefined();

    const pending = await handleLeak(policies, fingerprint, { value: new Secret('dddd'), source: 'trufflehog', url: 'repo@abc:.env:3' }, clock.now());
    expect(pending.matches).toEqual([expect.objectContaining({ policy: 'b', slot: 'pending', action: 'incident-rotation' })]);
    // Past obtain: the rotation that made the leaked value is finished, then one more follows.
    expect(b.state.incident).toMatchObject({ reason: 'credential leak reported by trufflehog: repo@abc:.env:3', actor: 'leak:trufflehog' });
    expect(b.state.incident?.rotationId).toBeUndefined();

    const byFingerprint = await handleLeak(policies, fingerprint, { fingerprint: fingerprint(new Secret('aaaa')), source: 'scan' }, clock.now());
    expect(byFingerprint.matches).toEqual([expect.objectContaining({ policy: 'a', slot: 'current' })]);
    // An older token of an assisted provider that nobody revoked: a person is told to delete it.
    const assisted = new MemoryStore([]);
    assisted.current = { value: new Secret('eeee'), rotationId: 'g2', createdAt: 0 };
    assisted.previous = { value: new Secret('ffff'), rotationId: 'g1', createdAt: 0 };
    const gladly = { ...policyRuntime({ store: assisted, provider: assistedProvider(new Set(['eeee', 'ffff'])), clock }), name: 'g', ref: { name: 'g' } };
    const byHand = await handleLeak([gladly], fingerprint, { value: new Secret('ffff'), source: 'scan' }, clock.now());
    expect(byHand.matches).toEqual([expect.objectContaining({ policy: 'g', slot: 'previous', action: 'not-revocable', byHand: true })]);
    expect(byHand.message).toContain('delete it at the provider now');

    // A suspended policy records the incident and says when it will be served.
    const suspended = { ...policies[0]!, settings: { ...policies[0]!.settings, suspended: true } };
    const held = await handleLeak([suspended], fingerprint, { value: new Secret('aaaa'), source: 'scan' }, clock.now() + 5);
    expect(held.message).toContain('the policy is suspended: it rotates once suspend is removed');
    expect(a.state.incident).toMatchObject({ actor: 'leak:scan' });
    const none = await handleLeak(policies, fingerprint, { value: new Secret('zzzz'), source: 'scan' }, clock.now());
    expect(none.message).toMatch(/^not a credential rotad manages/);
    await expect(handleLeak(policies, fingerprint, { fingerprint: 'not hex', source: 'scan' }, clock.now())).rejects.toThrow(/16 hexadecimal digits/);
  });
});

describe('rotate --wait: where each requested rotation stands', () => {
  const row = (over: Partial<PolicyStatus> = {}): PolicyStatus => ({ policy: 'p', phase: 'idle', needsAttention: false, lastRotationId: 'r1', ...over });

  it('is queued, rotating, waiting for a person, failed or done, from the status rows before and now', () => {
    const before = row();
    expect(progressOf(before, row())).toBe('queued');
    expect(progressOf(before, row({ phase: 'consumers', rotationId: 'r2' }))).toBe('rotating');
    expect(
      progressOf(
        before,
        row({ phase: 'obtain', waitingFor: { action: 'create', account: 'a', summary: 's', since: '', deadline: '', reminders: 0, asked: true } }),
      ),
    ).toBe('waiting-for-person');
    expect(progressOf(before, row({ phase: 'verify', needsAttention: true }))).toBe('failed');
    expect(progressOf(before, row({ error: 'store down', phase: 'unknown', needsAttention: true }))).toBe('failed');
    expect(progressOf(before, row({ lastRotationId: 'r2' }))).toBe('done');
    // A routine rotation finished, but the incident asks for one more: not done yet.
    expect(progressOf(before, row({ lastRotationId: 'r2', incident: { reason: 'x', actor: 'cli', at: '' } }))).toBe('queued');
  });

  it('summarizes, estimates from the pace so far, and settles only when nothing is left to run or hand over', () => {
    const states = new Map<string, Progress>([
      ['a', 'done'],
      ['b', 'done'],
      ['c', 'rotating'],
      ['d', 'queued'],
    ]);
    const summary = summarize(states, 10_000);
    expect(summary).toMatchObject({ total: 4, counts: { done: 2, rotating: 1, queued: 1 }, estimateSeconds: 10 });
    expect(settled(summary)).toBe(false);
    expect(
      settled(
        summarize(
          new Map<string, Progress>([
            ['a', 'done'],
            ['b', 'failed'],
          ]),
          1,
        ),
      ),
    ).toBe(true);
    expect(settled(summarize(new Map<string, Progress>([['a', 'waiting-for-person']]), 1))).toBe(false);
  });
});

describe('the credential index', () => {
  it('places a fingerprint in the policies last seen holding it, fingerprinting each credential once', () => {
    let hashed = 0;
    const index = new CredentialIndex((value) => {
      hashed += 1;
      return createHmac('sha256', 'k').update(value.reveal()).digest('hex').slice(0, 16);
    });
    const fp = (v: string) => createHmac('sha256', 'k').update(v).digest('hex').slice(0, 16);
    const c = (value: string, rotationId: string) => ({ value: new Secret(value), rotationId });
    index.note('a', [c('v1', 'r1'), undefined, undefined]);
    index.note('a', [c('v1', 'r1'), undefined, undefined]);
    expect(hashed).toBe(1);
    expect(index.policiesWith(fp('v1'))).toEqual(['a']);
    index.note('a', [c('v2', 'r2'), undefined, c('v1', 'r1')]); // rotated: v1 is previous now
    index.note('b', [c('v3', 'r9'), undefined, undefined]);
    expect(hashed).toBe(3);
    expect(index.policiesWith(fp('v1'))).toEqual(['a']);
    index.note('a', [c('v4', 'r3'), undefined, c('v2', 'r2')]);
    expect(index.policiesWith(fp('v1'))).toEqual([]);
    expect(index.policiesWith(fp('v2'))).toEqual(['a']);
    expect(index.policiesWith(fp('v3'))).toEqual(['b']);
  });

  it('lets a leak report read only the policy it names, and every policy when the index lags', async () => {
    const clock = new FakeClock();
    const fingerprint = (value: Secret): string => createHmac('sha256', 'k').update(value.reveal()).digest('hex').slice(0, 16);
    const reads: string[] = [];
    const policies = ['a', 'b', 'c'].map((name) => {
      const store = new MemoryStore([]);
      store.current = { value: new Secret(`value-of-${name}`), rotationId: `${name}1`, createdAt: 0 };
      const read = store.read.bind(store);
      store.read = async () => {
        reads.push(name);
        return read();
      };
      return { ...policyRuntime({ store, provider: recordingProvider([]), clock }), name, ref: { name } };
    });
    const leaked = { value: new Secret('value-of-b'), source: 'scan' };
    await handleLeak(policies, fingerprint, leaked, clock.now(), () => ['b']);
    expect(new Set(reads)).toEqual(new Set(['b'])); // the match, then the incident's write
    reads.length = 0;
    const stale = await handleLeak(policies, fingerprint, leaked, clock.now() + 1, () => ['a']);
    expect(reads.slice(0, 4)).toEqual(['a', 'a', 'b', 'c']);
    expect(stale.matches).toEqual([expect.objectContaining({ policy: 'b', slot: 'current' })]);
  });
});

describe('following progress', () => {
  it('reads only the rotations still going, tells each change once, and ends when all are done or failed', async () => {
    const row = (policy: string, over: Partial<PolicyStatus> = {}): PolicyStatus => ({
      policy,
      phase: 'idle',
      needsAttention: false,
      lastRotationId: 'r1',
      ...over,
    });
    const before = new Map(['a', 'b', 'c'].map((name) => [name, row(name)]));
    const script: Array<Record<string, Partial<PolicyStatus>>> = [
      { a: { phase: 'obtain' }, b: {}, c: { phase: 'verify' } },
      { a: { lastRotationId: 'r2' }, b: { phase: 'consumers' }, c: { needsAttention: true, phase: 'verify' } },
      { b: { lastRotationId: 'r2' } },
    ];
    const asked: string[][] = [];
    const changes: string[] = [];
    let pass = 0;
    const { summary } = await followProgress({
      before,
      read: async (names) => {
        asked.push([...names]);
        const now = script[pass++] ?? {};
        return names.map((name) => row(name, now[name] ?? {}));
      },
      onChange: (policy, progress) => changes.push(`${policy}:${progress}`),
      sleep: async () => undefined,
    });
    expect(asked).toEqual([['a', 'b', 'c'], ['a', 'b', 'c'], ['b']]);
    expect(changes).toEqual(['a:rotating', 'c:rotating', 'a:done', 'b:rotating', 'c:failed', 'b:done']);
    expect(summary.counts).toMatchObject({ done: 2, failed: 1, queued: 0, rotating: 0 });
  });
});
