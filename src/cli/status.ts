import { policyStatuses, type PolicyStatus } from '../control/status.js';
import { selectPolicies } from '../control/select.js';
import { formatDuration } from '../duration.js';
import type { Selector } from '../labels.js';
import { loadForCommand } from './config-arg.js';
import { openRuntime } from './open-runtime.js';
import { out } from './output.js';

/** The NEXT ROTATION cell: a time and why, who is asked, or what it waits for. */
function nextColumn(r: PolicyStatus): string {
  if (r.error !== undefined) return 'unknown (store not readable)';
  if (r.suspended) return 'suspended';
  if (r.waitingFor) return `waits for ${r.waitingFor.account}`;
  if (r.nextRotationAt) return `${r.nextRotationAt} (${r.nextReason})`;
  return r.needsAttention ? 'on rotad rotate (stopped)' : 'on rotad rotate';
}

function pad(cells: string[], widths: number[]): string {
  return cells
    .map((cell, i) => cell.padEnd(widths[i] ?? 0))
    .join('  ')
    .trimEnd();
}

/** `rotad status`: each policy's phase, credential age, last and next rotation, and attention. */
export async function statusCommand(path: string, json: boolean, selector?: Selector): Promise<number> {
  const config = await loadForCommand(path, json, 'store');
  if (!config) return 2;
  const runtime = openRuntime(config);
  let rows: PolicyStatus[];
  try {
    const only = selector && selectPolicies(runtime.policies, { selector }).map((p) => p.name);
    rows = await policyStatuses(runtime, only);
  } finally {
    await runtime.close();
  }
  return renderStatus(rows, json);
}

/** Prints status rows as a table with notes (what needs a person), or as JSON; exit 1 when a store could not be read. */
export function renderStatus(rows: readonly PolicyStatus[], json: boolean): number {
  if (json) {
    out.line(JSON.stringify(rows, null, 2));
  } else {
    const table = [['POLICY', 'PHASE', 'AGE', 'LAST ROTATION', 'NEXT ROTATION', 'ATTENTION']].concat(
      rows.map((r) => [
        r.policy,
        r.phase,
        r.credentialAgeMs === undefined ? '-' : formatDuration(r.credentialAgeMs),
        r.lastRotatedAt ?? 'never',
        nextColumn(r),
        r.needsAttention ? 'YES' : '-',
      ]),
    );
    const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
    for (const row of table) out.line(pad(row, widths));
    for (const r of rows.filter((row) => row.heldBy)) {
      out.line(`\n${r.policy}: worked on by ${r.heldBy!.owner} (lease until ${r.heldBy!.until}; if that daemon is gone, another resumes the rotation then)`);
    }
    for (const r of rows.filter((row) => row.waitingFor)) {
      const w = r.waitingFor!;
      const when = w.asked
        ? `asked ${w.since}, deadline ${w.deadline}, ${w.reminders} reminder(s) sent`
        : `asks at ${w.since}, the next time assist.askWithin allows, deadline ${w.deadline}`;
      out.line(
        `\n${r.policy}: rotad waits for a person (${w.account}) to ${w.action === 'create' ? 'create a new token and hand it over with rotad submit ' + r.policy : 'delete the old token'}; ${when}.\n  ${w.summary}${w.lastRefusal ? `\n  Last handed-over token was refused: ${w.lastRefusal}` : ''}`,
      );
    }
    for (const r of rows.filter((row) => row.revokeWaitsFor)) {
      const w = r.revokeWaitsFor!;
      const grace = w.graceUntil ? `then the grace period, until ${w.graceUntil}` : 'then the grace period';
      out.line(
        `\n${r.policy}: the old credential is revoked once every consumer has confirmed the new one (${w.consumersConfirmed} of ${w.consumers} so far), ${grace}`,
      );
    }
    for (const r of rows.filter((row) => row.needsAttention)) {
      const then = r.waitsFor ? `\n  next: ${r.waitsFor}` : '';
      out.line(
        `\n${r.policy}: ${r.error === undefined ? `${r.attention?.code} in phase ${r.attention?.phase}: ${r.attention?.message}${then}` : `cannot read its store: ${r.error}`}`,
      );
    }
  }
  return rows.some((r) => r.error !== undefined) ? 1 : 0;
}
