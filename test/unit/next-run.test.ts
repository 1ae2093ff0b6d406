import { describe, expect, it } from 'vitest';
import { IDLE_STATE, type PolicyState } from '../../src/policy-state.js';
import { expiryRotation, nextDue, upcomingRuns, windowOffset, type PolicyTiming } from '../../src/timing/next-run.js';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const t = (iso: string): number => Date.parse(iso);
const idle = (lastRotatedAt?: string, extra: Partial<PolicyState> = {}): PolicyState => ({
  ...IDLE_STATE,
  lastRotatedAt: lastRotatedAt === undefined ? undefined : t(lastRotatedAt),
  ...extra,
});
const cron = (expression: string, timezone = 'UTC', windowMs = 0, maxAgeMs?: number): PolicyTiming => ({
  name: 'p',
  schedule: { kind: 'cron', expression, timezone },
  windowMs,
  maxAgeMs,
});
const every = (intervalMs: number, maxAgeMs?: number): PolicyTiming => ({ name: 'p', schedule: { kind: 'every', intervalMs }, windowMs: 0, maxAgeMs });

describe('nextDue: a pure function of (timing, persisted state, now)', () => {
  it('rotates a policy that has never rotated right away', () => {
    expect(nextDue(every(30 * DAY), idle(), t('2026-01-01T00:00:00Z'))).toEqual({
      at: t('2026-01-01T00:00:00Z'),
      reason: 'initial',
      overdue: false,
      scheduledAt: t('2026-01-01T00:00:00Z'),
    });
  });

  it('every: counts from the last rotation recorded in the store', () => {
    expect(nextDue(every(30 * DAY), idle('2026-01-01T10:00:00Z'), t('2026-01-05T00:00:00Z'))).toMatchObject({
      at: t('2026-01-31T10:00:00Z'),
      reason: 'schedule',
    });
  });

  it('cron: the first slot after the last rotation, in the policy timezone', () => {
    // 03:00 in Berlin is 02:00 UTC in winter.
    expect(nextDue(cron('0 3 * * *', 'Europe/Berlin'), idle('2026-01-10T12:00:00Z'), t('2026-01-10T13:00:00Z'))?.at).toBe(t('2026-01-11T02:00:00Z'));
    // ... and 01:00 UTC in summer.
    expect(nextDue(cron('0 3 * * *', 'Europe/Berlin'), idle('2026-07-10T12:00:00Z'), t('2026-07-10T13:00:00Z'))?.at).toBe(t('2026-07-11T01:00:00Z'));
  });

  it('DST: a daily time inside the spring-forward gap still runs that day (right after the gap)', () => {
    // 2026-03-29 Europe/Berlin jumps 02:00 → 03:00; 02:30 does not exist that day.
    const due = nextDue(cron('30 2 * * *', 'Europe/Berlin'), idle('2026-03-28T12:00:00Z'), t('2026-03-28T13:00:00Z'));
    expect(due?.at).toBe(t('2026-03-29T01:00:00Z')); // 03:00 CEST, not skipped to the 30th
  });

  it('DST: a daily time inside the repeated autumn hour runs once', () => {
    const timing = cron('30 2 * * *', 'Europe/Berlin');
    const runs = upcomingRuns(timing, idle('2026-10-24T12:00:00Z'), t('2026-10-24T12:00:00Z'), 3).map((r) => new Date(r.at).toISOString());
    expect(runs).toEqual(['2026-10-25T00:30:00.000Z', '2026-10-26T01:30:00.000Z', '2026-10-27T01:30:00.000Z']);
  });

  it('day-of-month and day-of-week combine with OR, as crontab(5) says', () => {
    // "the 13th, and every Friday": from Thu 2026-02-05 the next are Fri 6th, Fri 13th, Fri 20th…
    const runs = upcomingRuns(cron('0 0 13 * 5'), idle('2026-02-05T00:00:00Z'), t('2026-02-05T00:00:00Z'), 3).map((r) =>
      new Date(r.at).toISOString().slice(0, 10),
    );
    expect(runs).toEqual(['2026-02-06', '2026-02-13', '2026-02-20']);
    const march = upcomingRuns(cron('0 0 13 * 5'), idle('2026-03-07T00:00:00Z'), t('2026-03-07T00:00:00Z'), 2).map((r) =>
      new Date(r.at).toISOString().slice(0, 10),
    );
    expect(march).toEqual(['2026-03-13', '2026-03-20']);
  });

  it('window: a fixed per-policy offset, the same on every call, spread across policies', () => {
    const offsets = Array.from({ length: 200 }, (_, i) => windowOffset(`policy-${i}`, 2 * HOUR));
    expect(windowOffset('policy-7', 2 * HOUR)).toBe(offsets[7]);
    expect(Math.min(...offsets)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...offsets)).toBeLessThan(2 * HOUR);
    expect(new Set(offsets.map((o) => Math.floor(o / (10 * 60_000)))).size).toBe(12); // every 10-minute bucket used
    const timing = { ...cron('0 3 * * *'), name: 'policy-7', windowMs: 2 * HOUR };
    expect(nextDue(timing, idle('2026-01-10T12:00:00Z'), t('2026-01-10T13:00:00Z'))?.at).toBe(t('2026-01-11T03:00:00Z') + (offsets[7] ?? NaN));
  });

  it('maxAge catch-up: after downtime, an old credential rotates at the next chance', () => {
    // Last rotated 50 days ago, maxAge 45d, schedule every 90d: overdue by the max age.
    const due = nextDue(every(90 * DAY, 45 * DAY), idle('2026-01-01T00:00:00Z'), t('2026-02-20T00:00:00Z'));
    expect(due).toEqual({ at: t('2026-02-20T00:00:00Z'), reason: 'max-age', overdue: true, scheduledAt: t('2026-02-15T00:00:00Z') });
  });

  it('a cron slot missed while the daemon was down runs once, late', () => {
    const due = nextDue(cron('0 3 * * 1'), idle('2026-01-01T00:00:00Z'), t('2026-01-20T00:00:00Z'));
    expect(due).toEqual({ at: t('2026-01-20T00:00:00Z'), reason: 'schedule', overdue: true, scheduledAt: t('2026-01-05T03:00:00Z') });
  });

  it('maxAge earlier than the next slot wins', () => {
    expect(nextDue(cron('0 0 1 1 *', 'UTC', 0, 10 * DAY), idle('2026-02-01T00:00:00Z'), t('2026-02-02T00:00:00Z'))).toMatchObject({
      at: t('2026-02-11T00:00:00Z'),
      reason: 'max-age',
    });
  });

  it('a rotation in progress resumes now; one in grace resumes at the end of the grace period', () => {
    const now = t('2026-01-01T00:00:00Z');
    expect(nextDue(every(DAY), idle(undefined, { phase: 'verify', rotationId: 'r' }), now)).toMatchObject({ at: now, reason: 'resume' });
    expect(nextDue(every(DAY), idle(undefined, { phase: 'grace', rotationId: 'r', graceUntil: now + 5000 }), now)).toMatchObject({
      at: now + 5000,
      reason: 'grace',
    });
  });

  it('needs-attention waits for a person: nothing runs until a request newer than the failure', () => {
    const now = t('2026-01-01T00:00:00Z');
    const stuck = idle('2025-01-01T00:00:00Z', {
      phase: 'consumers',
      rotationId: 'r',
      attention: { code: 'CONSUMER_FAILED', message: 'x', phase: 'consumers', at: now - 1000 },
    });
    expect(nextDue(every(DAY), stuck, now)).toBeUndefined();
    expect(nextDue(every(DAY), { ...stuck, requestedAt: now - 2000 }, now)).toBeUndefined();
    expect(nextDue(every(DAY), { ...stuck, requestedAt: now }, now)).toMatchObject({ at: now, reason: 'requested' });
  });

  it('a manual request on an idle policy runs now', () => {
    const now = t('2026-01-01T00:00:00Z');
    expect(nextDue(every(DAY), idle('2025-12-31T23:00:00Z', { requestedAt: now }), now)).toMatchObject({ at: now, reason: 'requested' });
  });
});

describe('expiry drives rotation: the due time is the earliest of schedule, maxAge and expiry − rotateBefore', () => {
  const made = t('2026-01-01T00:00:00Z');
  const lived = (days: number) => ({ createdAt: made, expiresAt: made + days * DAY });
  const share = (percent: number) => ({ kind: 'share' as const, fraction: percent / 100, text: `${percent}%` });
  const span = (ms: number, text: string) => ({ kind: 'span' as const, ms, text });
  const timing = (extra: Partial<PolicyTiming>): PolicyTiming => ({ ...every(365 * DAY), rotateBefore: share(33), ...extra });
  const last = idle('2026-01-01T00:00:00Z');
  const now = t('2026-01-02T00:00:00Z');

  it('a third of the lifetime before the expiry by default (here 60 of 90 days), long before the schedule', () => {
    expect(nextDue(timing({}), last, now, lived(90))).toMatchObject({ at: made + 60.3 * DAY, reason: 'expiry' });
  });

  it('a span before the expiry, when rotateBefore is one', () => {
    expect(nextDue(timing({ rotateBefore: span(14 * DAY, '14d') }), last, now, lived(90))).toMatchObject({ at: made + 76 * DAY, reason: 'expiry' });
  });

  it('the schedule or maxAge still win when they come first', () => {
    expect(nextDue(timing({ schedule: { kind: 'every', intervalMs: 30 * DAY } }), last, now, lived(90))).toMatchObject({
      at: made + 30 * DAY,
      reason: 'schedule',
    });
    expect(nextDue(timing({ maxAgeMs: 20 * DAY }), last, now, lived(90))).toMatchObject({ at: made + 20 * DAY, reason: 'max-age' });
  });

  it('no expiry reported: no expiry-driven run', () => {
    expect(nextDue(timing({}), last, now, { createdAt: made })).toMatchObject({ reason: 'schedule' });
    expect(nextDue(timing({}), last, now)).toMatchObject({ reason: 'schedule' });
  });

  it('assisted: the request opens early enough for its deadline and one more reminder', () => {
    // 33% of 30 days is 9.9 days; the 3d deadline plus a 1d reminder is shorter: rotateBefore decides.
    expect(expiryRotation(timing({ assistLeadMs: 4 * DAY }), lived(30))).toMatchObject({ lead: 'rotateBefore' });
    // 33% of 9 days is ~3 days; deadline plus reminder, 4 days, is longer: it decides.
    expect(expiryRotation(timing({ assistLeadMs: 4 * DAY }), lived(9))).toEqual({ at: made + 5 * DAY, lead: 'assist', beforeMs: 4 * DAY });
  });

  it('never before half the lifetime, so short-lived tokens do not rotate in a loop', () => {
    expect(expiryRotation(timing({ assistLeadMs: 4 * DAY }), lived(6))).toEqual({ at: made + 3 * DAY, lead: 'half-life', beforeMs: 3 * DAY });
    expect(expiryRotation(timing({ rotateBefore: span(30 * DAY, '30d') }), lived(7))).toMatchObject({ at: made + 3.5 * DAY, lead: 'half-life' });
  });

  it('past its rotation time (the daemon was down), it runs now, marked overdue', () => {
    expect(nextDue(timing({}), last, made + 80 * DAY, lived(90))).toMatchObject({ at: made + 80 * DAY, reason: 'expiry', overdue: true });
  });
});

describe('schedule: manual', () => {
  const manual: PolicyTiming = { name: 'p', schedule: { kind: 'manual' }, windowMs: 0 };
  it('never runs by schedule; a request, maxAge and an expiry still make it due', () => {
    const now = t('2026-03-01T00:00:00Z');
    expect(nextDue(manual, idle('2026-01-01T00:00:00Z'), now)).toBeUndefined();
    expect(nextDue(manual, idle('2026-01-01T00:00:00Z', { requestedAt: now }), now)).toMatchObject({ reason: 'requested' });
    expect(nextDue({ ...manual, maxAgeMs: 90 * DAY }, idle('2026-01-01T00:00:00Z'), now)).toMatchObject({ at: t('2026-04-01T00:00:00Z'), reason: 'max-age' });
    expect(
      nextDue({ ...manual, rotateBefore: { kind: 'span', ms: 7 * DAY, text: '7d' } }, idle('2026-01-01T00:00:00Z'), now, {
        createdAt: t('2026-01-01T00:00:00Z'),
        expiresAt: t('2026-03-31T00:00:00Z'),
      }),
    ).toMatchObject({ at: t('2026-03-24T00:00:00Z'), reason: 'expiry' });
    expect(nextDue(manual, idle(), now)).toMatchObject({ reason: 'initial' });
  });
});
