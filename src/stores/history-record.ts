import { z } from 'zod';
import { HistoryEntry } from '../policy-state.js';
import { mergeHistory } from '../history-trail.js';

/**
 * The history of a policy as a store files it beside the state, in a record of its own: written
 * once per ended rotation and read only when someone asks, so the state every step writes stays small.
 */
export const HistoryRecord = z.object({ entries: z.array(HistoryEntry) });
export type HistoryRecord = z.infer<typeof HistoryRecord>;

export const EMPTY_HISTORY: HistoryRecord = { entries: [] };

/** The change that files `entries` (merged by rotation and outcome, the newest `keep` kept); undefined when all are filed already. */
export function filed(entries: readonly HistoryEntry[], keep: number): (record: HistoryRecord) => HistoryRecord | undefined {
  return (record) => {
    const known = new Set(record.entries.map((e) => `${e.rotationId}/${e.outcome}`));
    if (entries.every((e) => known.has(`${e.rotationId}/${e.outcome}`)) && record.entries.length <= keep) return undefined;
    return { entries: mergeHistory(record.entries, entries, keep) };
  };
}

/** Where a store keeps the history record of a policy: beside its state record (the same access rule covers both). */
export const historyKeyOf = (stateKey: string): string => `${stateKey}/history`;
