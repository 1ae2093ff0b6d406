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
