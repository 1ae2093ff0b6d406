import { createHash } from 'node:crypto';
import type { PolicyState } from '../rotation/state.js';
import { slotAfter, type Schedule } from './schedule.js';

/** The timing facts of one policy, after normalisation. All spans in milliseconds. */
export interface PolicyTiming {
  name: string;
  schedule: Schedule;
  /** A credential older than this is rotated at the next chance. */
  maxAgeMs?: number | undefined;
  /** Cron slots start at a fixed, per-policy offset inside this span (interval schedules are already spread by their last rotation). */
  windowMs: number;
}

export type DueReason = 'initial' | 'schedule' | 'max-age' | 'requested' | 'resume' | 'grace' | 'waiting-for-person';

export interface Due {
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
export function nextDue(timing: PolicyTiming, state: PolicyState, now: number): Due | undefined {
  const at = (when: number, reason: DueReason): Due => ({ at: Math.max(when, now), reason, overdue: when < now, scheduledAt: when });

  if (state.phase !== 'idle') {
    if (state.attention) {
      return state.requestedAt !== undefined && state.requestedAt >= state.attention.at ? at(now, 'requested') : undefined;
    }
    if (state.phase === 'grace' && state.graceUntil !== undefined) return at(state.graceUntil, 'grace');
    if (state.assist) return state.requestedAt !== undefined ? at(now, 'requested') : at(state.assist.nextLookAt, 'waiting-for-person');
    return at(now, 'resume');
  }
  if (state.requestedAt !== undefined) return at(now, 'requested');
  if (state.lastRotatedAt === undefined) return at(now, 'initial');

  const slot = slotAfter(timing.schedule, state.lastRotatedAt);
  const offset = timing.schedule.kind === 'cron' ? windowOffset(timing.name, timing.windowMs) : 0;
  const scheduled = slot === undefined ? undefined : slot + offset;
  const deadline = timing.maxAgeMs === undefined ? undefined : state.lastRotatedAt + timing.maxAgeMs;
  if (deadline !== undefined && (scheduled === undefined || deadline < scheduled)) return at(deadline, 'max-age');
  if (scheduled === undefined) return undefined;
  return at(scheduled, 'schedule');
}

/** The next `count` run times assuming every rotation happens on time, for `validate` and `plan`. */
export function upcomingRuns(timing: PolicyTiming, state: PolicyState, now: number, count: number): Due[] {
  const runs: Due[] = [];
  let due = nextDue(timing, state, now);
  while (due && runs.length < count) {
    runs.push(due);
    due = nextDue(timing, { ...state, phase: 'idle', attention: undefined, requestedAt: undefined, lastRotatedAt: due.at }, due.at);
  }
  return runs;
}
