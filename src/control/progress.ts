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

/** How often the statuses of rotations still going are read: often for a few, less for a fleet (each read is a store read per policy). */
function pollMs(left: number): number {
  return left <= 200 ? 500 : 2_000;
}

/**
 * Follows requested rotations until each is done or failed, or `signal` stops it: reads the
 * statuses of those still going (never those already done or failed), tells each change, and
 * each pass's summary. `before` holds each followed policy's status row when it was requested.
 */
export async function followProgress(options: {
  read: (names: readonly string[]) => Promise<PolicyStatus[]>;
  before: ReadonlyMap<string, PolicyStatus>;
  onChange?: (policy: string, progress: Progress) => void;
  onPass?: (summary: ProgressSummary) => void;
  sleep: (ms: number) => Promise<void>;
  signal?: AbortSignal | undefined;
}): Promise<{ summary: ProgressSummary; states: ReadonlyMap<string, Progress> }> {
  const started = Date.now();
  const states = new Map<string, Progress>([...options.before.keys()].map((name) => [name, 'queued' as Progress]));
  for (;;) {
    const going = [...states].filter(([, state]) => state !== 'done' && state !== 'failed').map(([name]) => name);
    const reading = new Set(going);
    for (const row of going.length === 0 ? [] : await options.read(going)) {
      const was = options.before.get(row.policy);
      if (!was || !reading.has(row.policy)) continue;
      const state = progressOf(was, row);
      if (states.get(row.policy) !== state) options.onChange?.(row.policy, state);
      states.set(row.policy, state);
    }
    const summary = summarize(states, Date.now() - started);
    options.onPass?.(summary);
    if (settled(summary) || options.signal?.aborted) return { summary, states };
    await options.sleep(pollMs(summary.counts.queued + summary.counts.rotating + summary.counts['waiting-for-person']));
  }
}
