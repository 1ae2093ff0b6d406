import { describe, expect, it } from 'vitest';
import type { RotationEvent } from '../../src/notifiers/types.js';
import { runRotation } from '../../src/rotation/engine.js';
import { nextAskTime, parseAskWindow, type AskWindow } from '../../src/timing/ask-window.js';
import { nextDue } from '../../src/timing/next-run.js';
import { Secret } from '../../src/secret.js';
import { assistedProvider, FakeClock, MemoryStore, policyRuntime, type Call } from '../helpers/engine-doubles.js';

const HOUR = 3_600_000;

/** A store with a handover slot a person can write to. */
class HandoverStore extends MemoryStore {
  slot: string | undefined;
  async takeHandover() {
    return this.slot === undefined ? undefined : new Secret(this.slot);
  }
  async clearHandover() {
    this.slot = undefined;
  }
}

describe('assisted rotation in the engine', () => {
  it('asks once, reminds on schedule, escalates once at the deadline, then completes after hand-over and deletion', async () => {
    const calls: Call[] = [];
    const events: RotationEvent[] = [];
    const clock = new FakeClock();
    const live = new Set(['old-token-value']);
    const store = new MemoryStore(calls);
    store.current = { value: new Secret('old-token-value'), rotationId: 'r0', createdAt: clock.now() };
    const runtime = policyRuntime({
      store,
      provider: assistedProvider(live),
      clock,
      events,
      assist: { remindMs: 4 * HOUR, deadlineMs: 24 * HOUR, checkMs: 60_000 },
    });
    runtime.configPath = '/etc/rotad/rotad.yaml';
    const signal = new AbortController().signal;

    const first = await runRotation(runtime, 'schedule', signal);
    expect(first).toMatchObject({ status: 'waiting' });
    expect(events.map((e) => e.type)).toEqual(['rotation-started', 'action-required']);
    expect(events[1]!.message).toContain('Sign in as: api@acme.test');
    // How to hand over names the config, and the deadline reads to the minute.
    expect(events[1]!.message).toMatch(/Please act by \w{3}, \d{1,2} \w{3} \d{4}, \d{2}:\d{2} UTC\./);
    expect(events[1]!.message).toContain('Then hand it over: rotad submit p -c /etc/rotad/rotad.yaml');
    expect(events[1]!.deadline).toBe(clock.now() + 24 * HOUR);
    expect(nextDue({ name: 'p', schedule: { kind: 'every', intervalMs: 1 }, windowMs: 0 }, store.state, clock.now())).toMatchObject({
      reason: 'waiting-for-person',
      at: clock.now() + 60_000,
    });

    clock.time += HOUR;
    await runRotation(runtime, 'resume', signal);
    expect(events).toHaveLength(2);
    clock.time += 3 * HOUR;
    await runRotation(runtime, 'resume', signal);
    expect(events.at(-1)!.message).toMatch(/^Reminder 1: Create a token/);
    clock.time += 21 * HOUR;
    await runRotation(runtime, 'resume', signal);
    clock.time += HOUR;
    await runRotation(runtime, 'resume', signal);
    expect(events.filter((e) => e.type === 'action-overdue')).toHaveLength(1);
    expect(store.current.rotationId).toBe('r0'); // nothing moved while waiting

    // The person creates a token and `rotad submit` stages it under the rotation's id.
    live.add('new-token-value');
    await store.stagePending({ name: 'p' }, { value: new Secret('new-token-value'), rotationId: store.state.rotationId!, createdAt: clock.now() });
    const afterSubmit = await runRotation(runtime, 'cli', signal);
    expect(afterSubmit).toMatchObject({ status: 'waiting' });
    expect(store.current.value.reveal()).toBe('new-token-value');
    expect(store.state.phase).toBe('revoke');
    expect(store.state.assist?.action).toBe('delete');
    expect(events.at(-1)).toMatchObject({ type: 'action-required', phase: 'revoke' });
    expect(store.previous?.revokedAt).toBeUndefined();

    live.delete('old-token-value');
    clock.time += 60_000;
    const done = await runRotation(runtime, 'resume', signal);
    expect(done).toMatchObject({ status: 'completed' });
    expect(store.previous?.revokedAt).toBe(clock.now());
    expect(events.map((e) => e.type).slice(-2)).toEqual(['revocation-confirmed', 'rotation-succeeded']);
    expect(store.state.assist).toBeUndefined();
  });

  it("takes a token from the store's handover slot: a wrong one is refused and cleared, the request stays open", async () => {
    const events: RotationEvent[] = [];
    const clock = new FakeClock();
    const live = new Set<string>();
    const store = new HandoverStore([]);
    const runtime = policyRuntime({ store, provider: assistedProvider(live), clock, events });
    const signal = new AbortController().signal;
    await runRotation(runtime, 'initial', signal);

    store.slot = 'a-token-nobody-made';
    expect(await runRotation(runtime, 'signal', signal)).toMatchObject({ status: 'waiting' });
    expect(store.slot).toBeUndefined();
    expect(store.state.assist?.refusal).toBe('the provider does not know this token');
    expect(events.at(-1)).toMatchObject({ type: 'action-required', code: 'SUBMISSION_REFUSED' });

    live.add('the-real-new-token');
    store.slot = 'the-real-new-token';
    expect(await runRotation(runtime, 'signal', signal)).toMatchObject({ status: 'completed' });
    expect(store.current?.value.reveal()).toBe('the-real-new-token');
    expect(store.slot).toBeUndefined();
  });
});

describe('assist.askWithin: a person is asked only within the configured hours', () => {
  const window = parseAskWindow('Mon-Fri 09:00-17:00 Europe/Berlin') as AskWindow;

  it('parses days, hours and a timezone, and refuses what it cannot read', () => {
    expect(window).toMatchObject({ start: '0 9 * * 1,2,3,4,5', end: '0 17 * * 1,2,3,4,5', timezone: 'Europe/Berlin' });
    expect(parseAskWindow('Sat,Sun 10:00-12:30')).toMatchObject({ start: '0 10 * * 0,6', timezone: 'UTC' });
    expect(parseAskWindow('Weekdays 09:00-17:00')).toMatch(/unknown days 'Weekdays'/);
    expect(parseAskWindow('Mon-Fri 17:00-09:00 UTC')).toMatch(/must end after it starts/);
    expect(parseAskWindow('Mon-Fri 09:00-17:00 Mars/Olympus')).toMatch(/unknown timezone 'Mars\/Olympus'/);
    expect(parseAskWindow('sometime')).toMatch(/expected days, hours and a timezone/);
  });

  it("inside a window: now; after hours: the next morning; on a weekend: Monday (in the window's timezone, DST included)", () => {
    const at = (iso: string) => new Date(nextAskTime(window, Date.parse(iso))).toISOString();
    expect(at('2026-11-25T10:00:00Z')).toBe('2026-11-25T10:00:00.000Z'); // Wednesday 11:00 Berlin
    expect(at('2026-11-25T16:30:00Z')).toBe('2026-11-26T08:00:00.000Z'); // 17:30 Berlin → Thursday 09:00 (CET)
    expect(at('2026-11-28T12:00:00Z')).toBe('2026-11-30T08:00:00.000Z'); // Saturday → Monday
    expect(at('2026-07-03T16:00:00Z')).toBe('2026-07-06T07:00:00.000Z'); // Friday 18:00 CEST → Monday 09:00 CEST
  });

  it('the request waits for the window (recorded, not sent), then goes out once; reminders wait too', async () => {
    const events: RotationEvent[] = [];
    const clock = new FakeClock(Date.parse('2026-11-27T18:00:00Z')); // Friday 19:00 in Berlin
    const live = new Set(['old-token-value']);
    const store = new MemoryStore([]);
    store.current = { value: new Secret('old-token-value'), rotationId: 'r0', createdAt: clock.now() };
    const runtime = policyRuntime({
      store,
      provider: assistedProvider(live),
      clock,
      events,
      assist: { remindMs: 4 * HOUR, deadlineMs: 48 * HOUR, checkMs: 60_000, window },
    });
    const signal = new AbortController().signal;
    const monday = Date.parse('2026-11-30T08:00:00Z');

    expect(await runRotation(runtime, 'schedule', signal)).toMatchObject({ status: 'waiting', until: monday });
    expect(events.map((e) => e.type)).toEqual(['rotation-started']);
    expect(store.state.assist).toMatchObject({ asked: false, requestedAt: monday });
    expect(nextDue({ name: 'p', schedule: { kind: 'every', intervalMs: 1 }, windowMs: 0 }, store.state, clock.now())).toMatchObject({
      reason: 'waiting-for-person',
      at: monday,
    });
    clock.time = Date.parse('2026-11-29T12:00:00Z'); // Sunday: still nothing
    await runRotation(runtime, 'resume', signal);
    expect(events.map((e) => e.type)).toEqual(['rotation-started']);

    clock.time = monday;
    await runRotation(runtime, 'resume', signal);
    expect(events.map((e) => e.type)).toEqual(['rotation-started', 'action-required']);
    expect(events[1]!.deadline).toBe(monday + 48 * HOUR);
    expect(store.state.assist).toMatchObject({ asked: true, requestedAt: monday });

    // 4 h later is 13:00: a reminder. The next one would be 17:00, the window's end: it waits for Tuesday 09:00.
    clock.time = monday + 4 * HOUR;
    await runRotation(runtime, 'resume', signal);
    clock.time = monday + 8 * HOUR + 30 * 60_000;
    await runRotation(runtime, 'resume', signal);
    expect(events.filter((e) => e.type === 'action-required')).toHaveLength(2);
    clock.time = Date.parse('2026-12-01T08:00:00Z');
    await runRotation(runtime, 'resume', signal);
    expect(events.filter((e) => e.type === 'action-required')).toHaveLength(3);
  });
});
