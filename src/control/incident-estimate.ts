import type { ResolvedConfig } from '../config/normalize.js';
import type { HistoryEntry } from '../policy-state.js';

/** What a policy never rotated is assumed to take (a token API call, a store write, a consumer). */
const DEFAULT_ROTATION_MS = 2_000;
/** Provider calls of an automatic rotation: obtain, verify, revoke, and the check that the old credential is refused. */
const CALLS_PER_ROTATION = 4;

/** How long an incident over the drilled policies would take at the configured limits. */
export interface IncidentEstimate {
  /** From the request to the last automatic rotation's revoke, in seconds (incident grace included). */
  seconds: number;
  /** The limit that decides it: `daemon.concurrency`, `daemon.providerLimits.gladly.perSecond`, … */
  boundBy: string;
  automatic: number;
  /** Not in `seconds`: they take as long as the people asked. */
  assisted: number;
  /** Automatic policies never rotated, counted at the default rotation time. */
  assumed: number;
}

/**
 * The working time of an ended rotation: start to end, without the grace before revoke (an
 * incident cuts it) and without waiting for a person (obtain of an assisted rotation).
 */
export function activeMsOf(entry: HistoryEntry | undefined, assisted: boolean): number | undefined {
  if (entry?.startedAt === undefined) return undefined;
  let idle = 0;
  const phases = entry.phases ?? [];
  phases.forEach(([phase, at], i) => {
    const end = phases[i + 1]?.[1] ?? entry.at;
    if (phase === 'grace' || (assisted && phase === 'obtain')) idle += end - at;
  });
  return Math.max(0, entry.at - entry.startedAt - idle);
}

interface EstimatedRow {
  provider: string;
  kind: 'automatic' | 'assisted' | 'suspended';
  graceMs: number;
  activeMs?: number | undefined;
}

/**
 * A rough figure, not a promise: each automatic policy takes its last rotation's working time;
 * rotations share `daemon.concurrency` and their provider type's `concurrency`, and a type with
 * `perSecond` needs four calls a rotation. The slowest of these, plus the longest incident grace.
 */
export function estimateIncident(rows: readonly EstimatedRow[], daemon: Pick<ResolvedConfig['daemon'], 'concurrency' | 'providerLimits'>): IncidentEstimate {
  const automatic = rows.filter((r) => r.kind === 'automatic');
  const ms = (r: EstimatedRow): number => r.activeMs ?? DEFAULT_ROTATION_MS;
  const bounds: Array<{ by: string; ms: number }> = [{ by: 'daemon.concurrency', ms: automatic.reduce((sum, r) => sum + ms(r), 0) / daemon.concurrency }];
  for (const type of new Set(automatic.map((r) => r.provider))) {
    const ofType = automatic.filter((r) => r.provider === type);
    const limits = daemon.providerLimits[type];
    if (limits?.concurrency !== undefined)
      bounds.push({
        by: `daemon.providerLimits.${type}.concurrency`,
        ms: ofType.reduce((sum, r) => sum + ms(r), 0) / Math.min(limits.concurrency, daemon.concurrency),
      });
    if (limits?.perSecond !== undefined)
      bounds.push({ by: `daemon.providerLimits.${type}.perSecond`, ms: (1_000 * ofType.length * CALLS_PER_ROTATION) / limits.perSecond });
  }
  const slowest = bounds.reduce((a, b) => (b.ms > a.ms ? b : a));
  const grace = Math.max(0, ...automatic.map((r) => r.graceMs));
  return {
    seconds: Math.round((slowest.ms + grace) / 100) / 10,
    boundBy: slowest.by,
    automatic: automatic.length,
    assisted: rows.filter((r) => r.kind === 'assisted').length,
    assumed: automatic.filter((r) => r.activeMs === undefined).length,
  };
}
