import type { PolicyStatus } from './status.js';

/** Where one requested rotation stands, as `rotad rotate --wait` shows it. */
export type Progress = 'queued' | 'rotating' | 'waiting-for-person' | 'failed' | 'done';

/**
 * Where a policy's requested rotation stands, from its status row when the request was made
 * (`before`) and now: done once a rotation completed since (its last rotation changed) and no
 * incident is left to serve, failed when it stopped for a person to fix (needs attention, or its
 * store cannot be read), waiting when a person is asked for a token, rotating while a rotation runs.
 */
export function progressOf(before: PolicyStatus, now: PolicyStatus): Progress {
  if (now.error !== undefined || now.needsAttention) return 'failed';
  if (now.waitingFor) return 'waiting-for-person';
  if (now.phase !== 'idle') return 'rotating';
  if (now.lastRotationId !== undefined && now.lastRotationId !== before.lastRotationId && now.incident === undefined) return 'done';
  return 'queued';
}

export interface ProgressSummary {
  total: number;
  counts: Record<Progress, number>;
  /** Seconds until the automatic ones are done, from the pace so far; unknown before the first is done. */
  estimateSeconds?: number | undefined;
}

export function summarize(states: ReadonlyMap<string, Progress>, elapsedMs: number): ProgressSummary {
  const counts: Record<Progress, number> = { queued: 0, rotating: 0, 'waiting-for-person': 0, failed: 0, done: 0 };
  for (const state of states.values()) counts[state] += 1;
  const left = counts.queued + counts.rotating;
  const estimateSeconds = counts.done > 0 && left > 0 ? Math.ceil(((elapsedMs / counts.done) * left) / 1000) : undefined;
  return { total: states.size, counts, estimateSeconds };
}

/** Whether waiting is over: nothing queued or rotating, and no person still asked. */
export function settled(summary: ProgressSummary): boolean {
  return summary.counts.queued + summary.counts.rotating + summary.counts['waiting-for-person'] === 0;
}
