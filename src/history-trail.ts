import type { HistoryEntry, Phase, PolicyState, Trail } from './policy-state.js';

const EMPTY: Trail = { phases: [], asked: [], consumers: [], errors: [] };

/** The most a trail keeps of each list: a rotation stuck in a loop of stops and resumes stays a bounded record. */
const TRAIL_LIST_LIMIT = 50;

type ListKey = 'phases' | 'asked' | 'consumers' | 'errors';

function appended<K extends ListKey>(trail: Trail | undefined, key: K, item: Trail[K][number]): Trail {
  const base = trail ?? EMPTY;
  return { ...base, [key]: [...base[key], item].slice(-TRAIL_LIST_LIMIT) };
}

/** The trail of a rotation that starts now. */
export function startedTrail(actor: string, at: number): Trail {
  return appended({ ...EMPTY, actor }, 'phases', ['obtain', at]);
}

export const enteredPhase = (trail: Trail | undefined, phase: Phase, at: number): Trail => appended(trail, 'phases', [phase, at]);
export const askedPerson = (trail: Trail | undefined, asked: Trail['asked'][number]): Trail => appended(trail, 'asked', asked);
export const consumerConfirmed = (trail: Trail | undefined, key: string, at: number): Trail => appended(trail, 'consumers', [key, at]);
export const stoppedWith = (trail: Trail | undefined, error: Trail['errors'][number]): Trail => appended(trail, 'errors', error);
export const escalatedRequest = (trail: Trail | undefined): Trail => ({ ...(trail ?? EMPTY), escalated: true });
export const handedOverBy = (trail: Trail | undefined, actor: string): Trail => ({ ...(trail ?? EMPTY), handedOverBy: actor });

/** How a rotation ended, beyond what its state says. */
interface RotationEnd {
  rotationId: string;
  outcome: HistoryEntry['outcome'];
  at: number;
  /** Who rolled it back or aborted it. */
  endedBy?: string | undefined;
  incident?: string | undefined;
  fingerprints?: HistoryEntry['fingerprints'];
}

/** The history entry of the rotation `state` holds, as it ends; empty lists are left out. */
export function historyEntry(state: PolicyState, end: RotationEnd): HistoryEntry {
  const trail = state.rotationId === end.rotationId ? state.trail : undefined;
  const lists = Object.fromEntries((['phases', 'asked', 'consumers', 'errors'] as const).flatMap((key) => (trail?.[key].length ? [[key, trail[key]]] : [])));
  return {
    rotationId: end.rotationId,
    outcome: end.outcome,
    at: end.at,
    ...(state.rotationId === end.rotationId && { trigger: state.trigger, startedAt: state.startedAt }),
    ...(trail?.actor !== undefined && { actor: trail.actor }),
    ...(trail?.handedOverBy !== undefined && { handedOverBy: trail.handedOverBy }),
    ...(trail?.escalated === true && { escalated: true }),
    ...lists,
    ...(end.endedBy !== undefined && { endedBy: end.endedBy }),
    ...(end.incident !== undefined && { incident: end.incident }),
    ...(end.fingerprints && { fingerprints: end.fingerprints }),
  };
}

/** Entries of both lists, one per rotation and outcome (the later copy wins), oldest first, the newest `keep`. */
export function mergeHistory(filed: readonly HistoryEntry[], recent: readonly HistoryEntry[], keep: number): HistoryEntry[] {
  const byKey = new Map<string, HistoryEntry>();
  for (const entry of [...filed, ...recent]) byKey.set(`${entry.rotationId}/${entry.outcome}`, entry);
  return [...byKey.values()].sort((a, b) => a.at - b.at).slice(-keep);
}

/** The alert key (RotationEvent.alertKey) of a rotation that needed a person. */
export const rotationAlertKey = (rotationId: string): string => `rotation/${rotationId}`;

/**
 * The alerts a completed rotation ends: its own when it stopped or a request of it was escalated,
 * and the expiry and overdue alerts sent for the credential it replaced (their keys are in `alertsSent`).
 */
export function alertsEndedBy(entry: HistoryEntry | undefined, replacedRotationId: string | undefined, alertsSent: readonly string[]): string[] {
  const ended: string[] = [];
  if (entry && ((entry.errors?.length ?? 0) > 0 || entry.escalated === true)) ended.push(rotationAlertKey(entry.rotationId));
  if (replacedRotationId !== undefined)
    for (const key of [`${replacedRotationId}:expired`, `overdue:${replacedRotationId}`]) if (alertsSent.includes(key)) ended.push(key);
  return ended;
}
