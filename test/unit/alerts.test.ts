import { describe, expect, it } from 'vitest';
import { checkAlerts } from '../../src/alerts/expiry.js';
import type { ResolvedPolicy } from '../../src/config/normalize.js';
import { IDLE_STATE, type PolicyState } from '../../src/policy-state.js';
import { Secret } from '../../src/secret.js';
import type { PolicySnapshot } from '../../src/stores/types.js';

const DAY = 86_400_000;
const T0 = Date.parse('2026-03-01T00:00:00Z');

function policy(overrides: Partial<ResolvedPolicy> = {}): ResolvedPolicy {
  return {
    name: 'p',
    provider: { type: 'random', length: 32, alphabet: 'alphanumeric', encoding: 'raw' },
    storeName: 's',
    graceMs: 0,
    incidentGraceMs: 0,
    labels: {},
    assist: { remindMs: 1, deadlineMs: 1, checkMs: 1 },
    rotateOnSignal: false,
    suspended: false,
    consumers: [],
    notify: [],
    escalate: [],
    overdueAfterMs: 3_600_000,
    expiryWarnings: [
      { text: '30d', ms: 30 * DAY },
      { text: '7d', ms: 7 * DAY },
      { text: '1d', ms: DAY },
    ],
    timing: { name: 'p', schedule: { kind: 'every', intervalMs: 60 * DAY }, maxAgeMs: 45 * DAY, windowMs: 0 },
    ...overrides,
  };
}

function snapshot(state: Partial<PolicyState> = {}, current: { rotationId?: string; createdAt?: number; expiresAt?: number } = {}): PolicySnapshot {
  return {
    current: {
      value: new Secret('alerts-test-value'),
      rotationId: current.rotationId ?? 'r1',
      createdAt: current.createdAt ?? T0,
      expiresAt: current.expiresAt,
    },
    state: { ...IDLE_STATE, lastRotatedAt: T0, lastRotationId: 'r1', ...state },
    revision: '1',
  };
}

/** Runs the check and feeds back what it recorded, as the scheduler does through the store. */
function sequence(p: ResolvedPolicy, times: number[], initial = snapshot()): string[][] {
  let state = initial.state;
  return times.map((now) => {
    const check = checkAlerts(p, { ...initial, state }, now);
    if (check.events.length > 0) state = { ...state, alertsSent: check.alertsSent };
    return check.events.map((e) => `${e.type}${e.threshold ? `:${e.threshold}` : ''}`);
  });
}

describe('expiry and overdue alerts', () => {
  it('each threshold fires once per credential, then "expired" once', () => {
    // maxAge 45d: expires T0+45d; thresholds 30d, 7d, 1d → T0+15d, T0+38d, T0+44d; the rotation due
    // at T0+45d is reported overdue once it is more than overdueAfter (1h) late.
    const fired = sequence(policy(), [T0 + 14 * DAY, T0 + 15 * DAY, T0 + 16 * DAY, T0 + 38 * DAY, T0 + 39 * DAY, T0 + 44 * DAY, T0 + 45 * DAY, T0 + 46 * DAY]);
    expect(fired).toEqual([[], ['expiry-warning:30d'], [], ['expiry-warning:7d'], [], ['expiry-warning:1d'], ['credential-expired'], ['rotation-overdue']]);
  });

  it('a credential first seen close to expiry gets one warning (the tightest), not one per threshold', () => {
    const fired = sequence(policy(), [T0 + 40 * DAY, T0 + 41 * DAY]);
    expect(fired).toEqual([['expiry-warning:7d'], []]);
  });

  it("the provider's own expiry wins over maxAge", () => {
    const check = checkAlerts(policy(), snapshot({}, { expiresAt: T0 + 10 * DAY }), T0 + 9.5 * DAY);
    expect(check.expiresAt).toBe(T0 + 10 * DAY);
    expect(check.events).toMatchObject([{ type: 'expiry-warning', threshold: '1d', expiresAt: T0 + 10 * DAY }]);
  });

  it('a rollback to the previous credential does not repeat the alerts already sent for it', () => {
    const p = policy({ timing: { ...policy().timing, maxAgeMs: 14 * DAY } }); // every credential is within 30d of expiry
    const a = { value: new Secret('alerts-test-a'), rotationId: 'ra', createdAt: T0 };
    const b = { value: new Secret('alerts-test-b'), rotationId: 'rb', createdAt: T0 + DAY };
    let state: PolicyState = { ...IDLE_STATE, lastRotatedAt: T0, lastRotationId: 'ra' };
    const look = (current: typeof a, previous: typeof a | undefined, now: number): string[] => {
      const check = checkAlerts(p, { current, previous, state, revision: '1' }, now);
      if (check.events.length > 0) state = { ...state, alertsSent: check.alertsSent };
      return check.events.map((e) => `${e.type}:${e.threshold}`);
    };
    expect(look(a, undefined, T0 + 1000)).toEqual(['expiry-warning:30d']);
    state = { ...state, lastRotatedAt: T0 + DAY, lastRotationId: 'rb' };
    expect(look(b, a, T0 + DAY + 1000)).toEqual(['expiry-warning:30d']);
    // rotad rollback: A is current again, with the same expiry; the daemon looks (and again after a restart).
    state = { ...state, lastRotatedAt: T0, lastRotationId: 'ra' };
    expect(look(a, b, T0 + DAY + 2000)).toEqual([]);
    expect(look(a, undefined, T0 + DAY + 3000)).toEqual([]);
    // Its tighter thresholds still fire once.
    expect(look(a, b, T0 + 8 * DAY)).toEqual(['expiry-warning:7d']);
  });

  it('a new credential starts over, and the old keys are dropped', () => {
    const first = checkAlerts(policy(), snapshot(), T0 + 16 * DAY);
    expect(first.alertsSent).toEqual(['r1:30d']);
    const rotated = snapshot(
      { alertsSent: first.alertsSent, lastRotationId: 'r2', lastRotatedAt: T0 + 20 * DAY },
      { rotationId: 'r2', createdAt: T0 + 20 * DAY },
    );
    const next = checkAlerts(policy(), rotated, T0 + 36 * DAY);
    expect(next.events.map((e) => e.threshold)).toEqual(['30d']);
    expect(next.alertsSent).toEqual(['r2:30d']);
  });

  it('overdue: once, after overdueAfter, naming what blocks it', () => {
    const p = policy({ timing: { name: 'p', schedule: { kind: 'every', intervalMs: DAY }, windowMs: 0 }, expiryWarnings: [] });
    const stuck = snapshot({
      phase: 'consumers',
      rotationId: 'r2',
      attention: { code: 'CONSUMER_FAILED', message: 'reload hook answered 500', phase: 'consumers', at: T0 + DAY },
    });
    expect(checkAlerts(p, stuck, T0 + DAY + 30 * 60_000).events).toEqual([]);
    const late = checkAlerts(p, stuck, T0 + DAY + 2 * 3_600_000);
    expect(late.overdue).toBe(true);
    expect(late.events).toMatchObject([
      { type: 'rotation-overdue', code: 'CONSUMER_FAILED', message: expect.stringMatching(/needs attention: reload hook answered 500/) },
    ]);
    expect(checkAlerts(p, { ...stuck, state: { ...stuck.state, alertsSent: late.alertsSent } }, T0 + 3 * DAY).events).toEqual([]);
  });

  it('tells the scheduler when to look next', () => {
    expect(checkAlerts(policy(), snapshot(), T0 + DAY).nextCheckAt).toBe(T0 + 15 * DAY);
  });

  it('no expiry known (no maxAge, no provider expiry): no warnings', () => {
    const p = policy({ timing: { name: 'p', schedule: { kind: 'every', intervalMs: 60 * DAY }, windowMs: 0 } });
    expect(checkAlerts(p, snapshot(), T0 + 59 * DAY)).toMatchObject({ events: [], expiresAt: undefined });
  });
});
