import { upcomingRuns } from '../timing/next-run.js';
import type { Runtime } from '../wiring/runtime.js';
import type { FleetSnapshots } from './fleet-snapshots.js';
import { latestReads } from './fleet-view.js';

const DAY_MS = 86_400_000;
/** Days shown on each side of today. */
export const TIMELINE_DAYS = 90;
/** Scheduled runs looked at per policy (a policy rotating daily fills the 90 days). */
const RUNS_PER_POLICY = TIMELINE_DAYS + 1;

/** One day of the timeline: what happened (the past) or is planned (the future), for the policies shown. */
export interface TimelineDay {
  /** `YYYY-MM-DD` (UTC). */
  day: string;
  succeeded: number;
  /** Rolled back or aborted. */
  rolledBack: number;
  /** Stops that needed attention. */
  stopped: number;
  scheduled: number;
  expiring: number;
}

const dayOf = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/**
 * The last and the next 90 days of the fleet (or of the policies named in `only`), day by day:
 * rotations ended, rolled back and stopped, from the ended rotations each policy's state keeps; and
 * scheduled rotations and credential expiries to come, assuming each rotation happens on time.
 */
export async function fleetTimeline(runtime: Runtime, snapshots: FleetSnapshots | undefined, now: number, only?: ReadonlySet<string>): Promise<TimelineDay[]> {
  const start = Math.floor(now / DAY_MS) * DAY_MS - TIMELINE_DAYS * DAY_MS;
  const days: TimelineDay[] = Array.from({ length: 2 * TIMELINE_DAYS + 1 }, (_, i) => ({
    day: dayOf(start + i * DAY_MS),
    succeeded: 0,
    rolledBack: 0,
    stopped: 0,
    scheduled: 0,
    expiring: 0,
  }));
  const on = (at: number): TimelineDay | undefined => days[Math.floor((at - start) / DAY_MS)];
  const end = start + days.length * DAY_MS;
  for (const { policy, snapshot } of await latestReads(runtime, snapshots)) {
    if (!snapshot || (only !== undefined && !only.has(policy.name))) continue;
    for (const entry of snapshot.state.history) {
      const day = entry.at >= start ? on(entry.at) : undefined;
      if (day) day[entry.outcome === 'succeeded' ? 'succeeded' : 'rolledBack'] += 1;
      for (const stop of entry.errors ?? []) if (stop.at >= start) on(stop.at)!.stopped += 1;
    }
    const open = snapshot.state.attention;
    if (open && open.at >= start && !snapshot.state.trail?.errors.some((e) => e.at === open.at)) on(open.at)!.stopped += 1;
    for (const stop of snapshot.state.trail?.errors ?? []) if (stop.at >= start) on(stop.at)!.stopped += 1;
    if (!policy.settings.suspended) {
      for (const run of upcomingRuns(policy.settings.timing, snapshot.state, now, RUNS_PER_POLICY, snapshot.current)) {
        if (run.at >= end) break;
        on(run.at)!.scheduled += 1;
      }
    }
    const expiresAt = snapshot.current?.expiresAt;
    if (expiresAt !== undefined && expiresAt >= start && expiresAt < end) on(expiresAt)!.expiring += 1;
  }
  return days;
}
