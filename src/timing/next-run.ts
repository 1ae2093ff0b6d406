import { createHash } from 'node:crypto';
import type { PolicyState } from '../policy-state.js';
import { slotAfter, type Schedule } from './schedule.js';

/** How long before a provider-reported expiry to rotate: a span, or a share of the credential's lifetime. */
export type RotateBefore = ({ kind: 'span'; ms: number } | { kind: 'share'; fraction: number }) & { text: string };

/** The timing facts of one policy, after normalisation. All spans in milliseconds. */
export interface PolicyTiming {
  name: string;
  schedule: Schedule;
  /** A credential older than this is rotated at the next chance. */
  maxAgeMs?: number | undefined;
  /** Cron slots start at a fixed, per-policy offset inside this span (interval schedules are already spread by their last rotation). */
  windowMs: number;
  /** Rotate this long before the provider's expiry of the current credential. Default: none. */
  rotateBefore?: RotateBefore | undefined;
  /** Assisted providers: the request opens at least this long before the expiry (deadline plus one reminder). */
  assistLeadMs?: number | undefined;
}

/** What nextDue needs of the current credential: when it was made and, if the provider says, when it expires. */
interface CurrentCredential {
  createdAt: number;
  expiresAt?: number | undefined;
}

export type DueReason = 'initial' | 'schedule' | 'max-age' | 'expiry' | 'requested' | 'resume' | 'grace' | 'waiting-for-person';

interface Due {
  /** Epoch ms at which the policy should run; never earlier than `now`. */
  at: number;
  reason: DueReason;
  /** True when the moment has already passed (the daemon was down or busy). */
  overdue: boolean;
  /** When it should have run (before `at` was moved up to now). */
  scheduledAt: number;
}

/** The deterministic offset of a policy inside its window: the same on every host and restart. */
export function windowOffset(name: string, windowMs: number): number {
  if (windowMs <= 0) return 0;
  const fraction = createHash('sha256').update(name).digest().readUInt32BE(0) / 2 ** 32;
  return Math.floor((fraction * windowMs) / 1000) * 1000;
}

/**
 * When a policy should run next: a pure function of its timing, its persisted state and now.
 * Catch-up after downtime comes from `lastRotatedAt` in the store, not from the timer that fired.
 * Returns undefined when the policy waits for a person (needs attention, no request since).
 */
/**
 * When a credential the provider says expires should be replaced: `rotateBefore` ahead of the
 * expiry, and for an assisted provider early enough that the request's deadline and one reminder
 * after its escalation still fall before it (`lead` says which one decided).
 */
export function expiryRotation(
  timing: PolicyTiming,
  current: CurrentCredential | undefined,
): { at: number; lead: 'rotateBefore' | 'assist' | 'half-life'; beforeMs: number } | undefined {
  if (current?.expiresAt === undefined || timing.rotateBefore === undefined) return undefined;
  const lifetime = Math.max(0, current.expiresAt - current.createdAt);
  const before = timing.rotateBefore.kind === 'span' ? timing.rotateBefore.ms : Math.round(lifetime * timing.rotateBefore.fraction);
  const assist = timing.assistLeadMs !== undefined && timing.assistLeadMs > before;
  const lead = assist ? timing.assistLeadMs! : before;
  // Never before half the credential's life: a lead longer than short-lived tokens live would
  // otherwise start the next rotation the moment one completes, for ever.
  if (lead > lifetime / 2) return { at: current.createdAt + Math.round(lifetime / 2), lead: 'half-life', beforeMs: lifetime - Math.round(lifetime / 2) };
  return { at: current.expiresAt - lead, lead: assist ? 'assist' : 'rotateBefore', beforeMs: lead };
}

export function nextDue(timing: PolicyTiming, state: PolicyState, now: number, current?: CurrentCredential): Due | undefined {
  const at = (when: number, reason: DueReason): Due => ({ at: Math.max(when, now), reason, overdue: when < now, scheduledAt: when });

  if (state.phase !== 'idle') {
    if (state.attention) {
      return state.requestedAt !== undefined && state.requestedAt >= state.attention.at ? at(now, 'requested') : undefined;
    }
    if (state.phase === 'grace' && state.graceUntil !== undefined) return at(state.graceUntil, 'grace');
    if (state.assist) return state.requestedAt !== undefined ? at(now, 'requested') : at(state.assist.nextLookAt, 'waiting-for-person');
    return at(now, 'resume');
  }
  if (state.requestedAt !== undefined || state.incident !== undefined) return at(now, 'requested');
  if (state.lastRotatedAt === undefined) return at(now, 'initial');

  const slot = slotAfter(timing.schedule, state.lastRotatedAt);
  const offset = timing.schedule.kind === 'cron' ? windowOffset(timing.name, timing.windowMs) : 0;
  const scheduled = slot === undefined ? undefined : slot + offset;
  const deadline = timing.maxAgeMs === undefined ? undefined : state.lastRotatedAt + timing.maxAgeMs;
  const expiry = expiryRotation(timing, current)?.at;
  // The earliest of the schedule, maxAge and the expiry (ties: the schedule, then maxAge).
  const candidates: Array<[number | undefined, DueReason]> = [
    [scheduled, 'schedule'],
    [deadline, 'max-age'],
    [expiry, 'expiry'],
  ];
  let best: [number, DueReason] | undefined;
  for (const [when, reason] of candidates) if (when !== undefined && (best === undefined || when < best[0])) best = [when, reason];
  return best === undefined ? undefined : at(best[0], best[1]);
}

/** The next `count` run times assuming every rotation happens on time, for `validate` and `plan`. */
export function upcomingRuns(timing: PolicyTiming, state: PolicyState, now: number, count: number, current?: CurrentCredential): Due[] {
  const runs: Due[] = [];
  // Only the first run knows the current credential's expiry; later ones follow the schedule.
  let due = nextDue(timing, state, now, current);
  while (due && runs.length < count) {
    runs.push(due);
    due = nextDue(timing, { ...state, phase: 'idle', attention: undefined, requestedAt: undefined, incident: undefined, lastRotatedAt: due.at }, due.at);
  }
  return runs;
}
