import { formatDuration } from '../duration.js';
import { historyNotes, parseSince, policyHistory, type HistoryRow } from '../control/history.js';
import { RotadError } from '../errors.js';
import { loadForCommand } from './config-arg.js';
import { openRuntime } from './open-runtime.js';
import { out } from './output.js';
import { callDaemon, type RemoteDaemon } from './remote.js';

/** Prints history rows (newest first) as a table, or as JSON. */
function renderHistory(policy: string, rows: readonly HistoryRow[], json: boolean): number {
  if (json) {
    out.line(JSON.stringify({ policy, rotations: rows }, null, 2));
    return 0;
  }
  if (rows.length === 0) {
    out.line(`${policy}: no ended rotation on record`);
    return 0;
  }
  const table = [['ENDED', 'OUTCOME', 'TRIGGER', 'BY', 'TOOK', 'ROTATION', 'NOTES']].concat(
    rows.map((r) => [
      `${r.endedAt.slice(0, 16).replace('T', ' ')} UTC`,
      r.outcome,
      r.trigger ?? '-',
      r.actor ?? '-',
      r.durationMs === undefined ? '-' : formatDuration(r.durationMs),
      r.rotationId,
      historyNotes(r) || '-',
    ]),
  );
  const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
  for (const row of table)
    out.line(
      row
        .map((cell, i) => cell.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    );
  return 0;
}

/** `rotad history NAME [--since S]`: the policy's ended rotations, from its store (or a daemon's API). */
export async function historyCommand(path: string, name: string, json: boolean, since: string | undefined, remote?: RemoteDaemon): Promise<number> {
  const sinceMs = since === undefined ? undefined : parseSince(since, Date.now());
  if (remote) {
    const query = sinceMs === undefined ? '' : `?since=${encodeURIComponent(new Date(sinceMs).toISOString())}`;
    const answer = (await callDaemon(remote, 'GET', `/v1/policies/${encodeURIComponent(name)}/history${query}`)) as { rotations: HistoryRow[] };
    return renderHistory(name, answer.rotations, json);
  }
  const config = await loadForCommand(path, json, 'store');
  if (!config) return 2;
  const runtime = openRuntime(config);
  try {
    const policy = runtime.policies.get(name);
    if (!policy) throw new RotadError('POLICY_NOT_FOUND', `no policy named '${name}' in ${config.path}`);
    return renderHistory(name, await policyHistory(policy, sinceMs), json);
  } finally {
    await runtime.close();
  }
}
