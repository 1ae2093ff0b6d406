import { RotadError } from '../errors.js';
import { readHistory } from '../rotation/history-filing.js';
import { parseDuration } from '../duration.js';
import type { HistoryEntry, PolicyState } from '../policy-state.js';
import type { PolicyRuntime } from '../rotation/context.js';

const iso = (ms: number): string => new Date(ms).toISOString();

/** One ended rotation as `rotad history` and the API show it: times as ISO 8601, fingerprints, never a value. */
export interface HistoryRow {
  rotationId: string;
  outcome: HistoryEntry['outcome'];
  trigger?: string | undefined;
  actor?: string | undefined;
  endedBy?: string | undefined;
  reason?: string | undefined;
  startedAt?: string | undefined;
  endedAt: string;
  durationMs?: number | undefined;
  phases: Array<{ phase: string; at: string }>;
  asked: Array<{ action: string; account?: string | undefined; at: string }>;
  handedOverBy?: string | undefined;
  consumers: Array<{ consumer: string; at: string }>;
  errors: Array<{ code: string; phase: string; at: string }>;
  fingerprints?: HistoryEntry['fingerprints'];
}

function historyRow(entry: HistoryEntry): HistoryRow {
  return {
    rotationId: entry.rotationId,
    outcome: entry.outcome,
    trigger: entry.trigger,
    actor: entry.actor,
    endedBy: entry.endedBy,
    reason: entry.incident,
    startedAt: entry.startedAt === undefined ? undefined : iso(entry.startedAt),
    endedAt: iso(entry.at),
    durationMs: entry.startedAt === undefined ? undefined : entry.at - entry.startedAt,
    phases: (entry.phases ?? []).map(([phase, at]) => ({ phase, at: iso(at) })),
    asked: (entry.asked ?? []).map((a) => ({ action: a.action, account: a.account, at: iso(a.at) })),
    handedOverBy: entry.handedOverBy,
    consumers: (entry.consumers ?? []).map(([consumer, at]) => ({ consumer, at: iso(at) })),
    errors: (entry.errors ?? []).map((e) => ({ ...e, at: iso(e.at) })),
    fingerprints: entry.fingerprints,
  };
}

/**
 * `--since` and `?since=`: a duration back from now (`30d`, `12h`) or a moment (`2026-11-01`,
 * an ISO 8601 time); epoch ms.
 */
export function parseSince(text: string, now: number): number {
  const back = parseDuration(text);
  if (back !== undefined) return now - back;
  const at = /^\d{4}-\d{2}-\d{2}/.test(text) ? Date.parse(text) : NaN;
  if (Number.isNaN(at))
    throw new RotadError('USAGE_INVALID', `since: '${text}' is neither a duration (30d, 12h) nor a date (2026-11-01, or ISO 8601 with a time)`);
  return at;
}

/** The policy's ended rotations, newest first, those ended at or after `since` (epoch ms); `state`: the policy's state as the caller just read it (else it is read). */
export async function policyHistory(policy: PolicyRuntime, since?: number, state?: PolicyState): Promise<HistoryRow[]> {
  const entries = await readHistory(policy, state);
  return entries
    .filter((e) => since === undefined || e.at >= since)
    .reverse()
    .map(historyRow);
}

/** What else a person wants to know about one ended rotation, in a few words. */
export function historyNotes(row: HistoryRow): string {
  const parts: string[] = [];
  if (row.reason) parts.push(`incident: ${row.reason}`);
  if (row.endedBy) parts.push(`${row.outcome} by ${row.endedBy}`);
  for (const asked of row.asked) parts.push(`asked ${asked.account ?? 'a person'} to ${asked.action}`);
  if (row.handedOverBy) parts.push(`handed over (${row.handedOverBy})`);
  if (row.consumers.length > 0) parts.push(`${row.consumers.length} consumer(s) confirmed`);
  for (const error of row.errors) parts.push(`stopped: ${error.code} in ${error.phase}`);
  return parts.join('; ');
}
