import type { PolicySettings } from '../timing/policy-settings.js';
import { formatDuration } from '../duration.js';
import type { RotationEvent } from '../notifiers/types.js';
import { nextDue } from '../timing/next-run.js';
import type { PolicySnapshot } from '../stores/types.js';

type AlertEvent = Omit<RotationEvent, 'at' | 'policy'>;

export interface AlertCheck {
  /** Alerts to send now. */
  events: AlertEvent[];
  /** The new `alertsSent` list (keys of credentials neither current nor previous dropped), when `events` is not empty. */
  alertsSent: string[];
  /** When the current credential expires (provider's expiry, else created + maxAge), if known. */
  expiresAt: number | undefined;
  /** True when the policy should have rotated more than `overdueAfter` ago. */
  overdue: boolean;
  /** The next moment an alert could become due, so the scheduler wakes for it. */
  nextCheckAt: number | undefined;
}

/** When the current credential expires: the provider's own expiry, else its creation plus maxAge. */
function expiryOf(policy: PolicySettings, snapshot: PolicySnapshot): number | undefined {
  const current = snapshot.current;
  if (!current) return undefined;
  if (current.expiresAt !== undefined) return current.expiresAt;
  return policy.timing.maxAgeMs === undefined ? undefined : current.createdAt + policy.timing.maxAgeMs;
}

/** Why a credential expired before rotad replaced it, for the person who gets `credential-expired`. */
function whyNotReplaced(policy: PolicySettings, snapshot: PolicySnapshot, expiresAt: number): string {
  const { state } = snapshot;
  const at = (ms: number): string => new Date(ms).toISOString();
  if (policy.suspended) return `the policy is suspended (suspend: true); remove it, then rotad rotate ${policy.name}`;
  if (state.attention)
    return `rotation ${state.rotationId} stopped in phase ${state.attention.phase} (${state.attention.code}: ${state.attention.message}); fix it, then rotad rotate ${policy.name}`;
  if (state.assist)
    return `rotation ${state.rotationId} has waited since ${at(state.assist.requestedAt)} for a person to ${state.assist.action === 'create' ? 'create and hand over a new token' : 'delete the old token'}`;
  if (state.phase !== 'idle') return `rotation ${state.rotationId} was still in phase ${state.phase}; see the rotad logs`;
  const due = nextDue(policy.timing, { ...state, attention: undefined, requestedAt: undefined, incident: undefined }, expiresAt, snapshot.current);
  if (due === undefined || due.scheduledAt >= expiresAt)
    return `no rotation was due before it (schedule, maxAge and rotateBefore all came later); rotad rotate ${policy.name} now, and shorten them`;
  return `the rotation was due at ${at(due.scheduledAt)} but did not run (was the daemon stopped, or its store unreachable?); rotad rotate ${policy.name} now`;
}

/**
 * Which alerts are due for one policy: each expiry threshold once per credential, "expired" once
 * per credential, "overdue" once per missed rotation. Keys of sent alerts live in the policy's
 * state, so a restart neither repeats nor forgets them. Pure: (policy, snapshot, now) → alerts.
 */
export function checkAlerts(policy: PolicySettings, snapshot: PolicySnapshot, now: number): AlertCheck {
  const { state, current } = snapshot;
  const sent = new Set(state.alertsSent);
  const events: AlertEvent[] = [];
  const keys: string[] = [];
  const expiresAt = expiryOf(policy, snapshot);
  let nextCheckAt: number | undefined;
  const later = (t: number): void => {
    nextCheckAt = nextCheckAt === undefined ? t : Math.min(nextCheckAt, t);
  };

  if (current && expiresAt !== undefined) {
    const credential = current.rotationId;
    if (now >= expiresAt) {
      const key = `${credential}:expired`;
      if (!sent.has(key)) {
        keys.push(key);
        events.push({
          type: 'credential-expired',
          alertKey: key,
          expiresAt,
          message: `the current credential expired at ${new Date(expiresAt).toISOString()}; rotad could not replace it in time: ${whyNotReplaced(policy, snapshot, expiresAt)}`,
        });
      }
    } else {
      // Only the tightest threshold crossed is sent, so a credential first seen 2 days before expiry gets one warning, not three.
      const crossed = policy.expiryWarnings.filter((w) => now >= expiresAt - w.ms);
      const tightest = crossed.at(-1);
      if (tightest && !sent.has(`${credential}:${tightest.text}`)) {
        keys.push(...crossed.map((w) => `${credential}:${w.text}`).filter((k) => !sent.has(k)));
        events.push({
          type: 'expiry-warning',
          expiresAt,
          threshold: tightest.text,
          message: `the current credential expires in ${formatDuration(expiresAt - now)} (at ${new Date(expiresAt).toISOString()})`,
        });
      }
      for (const w of policy.expiryWarnings) if (now < expiresAt - w.ms) later(expiresAt - w.ms);
      later(expiresAt);
    }
  }

  const due = nextDue(policy.timing, { ...state, phase: 'idle', attention: undefined, requestedAt: undefined }, now, current);
  const lateBy = due && state.lastRotatedAt !== undefined ? now - due.scheduledAt : 0;
  const overdue = lateBy > policy.overdueAfterMs;
  if (due && state.lastRotatedAt !== undefined) {
    const key = `overdue:${state.lastRotationId ?? 'never'}`;
    if (overdue && !sent.has(key)) {
      keys.push(key);
      events.push({
        type: 'rotation-overdue',
        alertKey: key,
        rotationId: state.rotationId,
        code: state.attention?.code,
        message: `the rotation due at ${new Date(due.scheduledAt).toISOString()} has not happened${state.attention ? ` (needs attention: ${state.attention.message})` : ''}`,
      });
    } else if (!overdue) {
      later(due.scheduledAt + policy.overdueAfterMs + 1);
    }
  }

  // The previous credential's keys are kept too: a rollback makes it current again, and its alerts were already sent.
  const kept = [current, snapshot.previous].filter((c) => c !== undefined).map((c) => `${c.rotationId}:`);
  const live = (key: string): boolean => kept.some((prefix) => key.startsWith(prefix)) || key === `overdue:${state.lastRotationId ?? 'never'}`;
  return { events, alertsSent: [...state.alertsSent.filter(live), ...keys], expiresAt, overdue, nextCheckAt };
}
