import { drillIncident, type IncidentDrillRow } from '../control/incident-drill.js';
import { estimateIncident, type IncidentEstimate } from '../control/incident-estimate.js';
import { requestRotations, type IncidentRequest, type RequestOutcome } from '../control/request-rotation.js';
import { selectPolicies, type Selection } from '../control/select.js';
import { policyStatuses } from '../control/status.js';
import { formatDuration } from '../duration.js';
import { waitForRotations } from './wait-progress.js';
import { loadForCommand } from './config-arg.js';
import { openRuntime } from './open-runtime.js';
import { out } from './output.js';
import { wakeDaemon } from './wake-daemon.js';

/** How `rotad rotate` was asked: which policies, and whether for an incident (and only as a drill). */
export interface RotateRequest {
  selection: Selection;
  incident?: IncidentRequest | undefined;
  drill?: boolean | undefined;
  /** Follow the rotations until each is done or failed (`--wait`). */
  wait?: boolean | undefined;
}

/**
 * `rotad rotate NAME…|--all|--selector S [--incident --reason R [--drill]]`: the request is written
 * to the store, so it survives a daemon restart, then the running daemon is woken with SIGUSR2 plus
 * a marker that says "requests only". A drill reads and writes nothing but prints what would happen.
 */
export async function rotateCommand(path: string, request: RotateRequest): Promise<number> {
  const config = await loadForCommand(path, false, 'store');
  if (!config) return 2;
  const runtime = openRuntime(config);
  const now = Date.now();
  try {
    const policies = selectPolicies(runtime.policies, request.selection);
    if (request.drill) {
      const rows = await drillIncident(runtime, policies);
      printDrill(rows, request.incident?.reason ?? '', estimateIncident(rows, config.daemon));
      return 0;
    }
    const names = policies.map((p) => p.name);
    const before = request.wait ? new Map((await policyStatuses(runtime, names)).map((row) => [row.policy, row])) : undefined;
    const named = request.selection.names !== undefined && request.selection.names.length > 0;
    const outcomes = await requestRotations(config, policies, named, now, request.incident);
    for (const outcome of outcomes) out.line(describeOutcome(outcome, request.incident));
    const woken = await wakeDaemon(config.daemon.stateDir, now, 'the request is served');
    out.line(woken.notified ? `${woken.message}; follow progress with rotad status` : woken.message);
    if (!before) return 0;
    for (const { policy, requested } of outcomes) if (!requested) before.delete(policy);
    return await waitForRotations((going) => policyStatuses(runtime, going), before);
  } finally {
    await runtime.close();
  }
}

export function describeOutcome({ policy, requested, inProgress }: RequestOutcome, incident: IncidentRequest | undefined): string {
  if (!requested) return `${policy}: suspended (suspend: true), not requested`;
  if (incident === undefined) return `${policy}: rotation requested`;
  return inProgress
    ? `${policy}: incident rotation requested; the rotation in progress (phase ${inProgress}) is finished first, then one more follows`
    : `${policy}: incident rotation requested`;
}

export function printDrill(rows: readonly IncidentDrillRow[], reason: string, estimate: IncidentEstimate): void {
  out.line(`Incident drill for "${reason}": nothing was written and nobody was told.`);
  for (const row of rows) {
    const how =
      row.kind === 'suspended'
        ? 'suspended (suspend: true): not rotated'
        : row.kind === 'assisted'
          ? `a person is asked at once, urgent: ${row.asks ?? 'the provider account'}`
          : 'rotad makes the new credential';
    const told = row.notify.length > 0 ? `told through ${row.notify.join(', ')}` : 'no notifier';
    const escalated = row.escalate.length > 0 && row.kind === 'assisted' ? `, escalated to ${row.escalate.join(', ')}` : '';
    const running = row.inProgress ? `; the rotation in progress (phase ${row.inProgress}) is finished first, then one more` : '';
    out.line(
      `  ${row.policy} (${row.provider}): ${how}; ${told}${escalated}; ${row.consumers} consumer(s), then revoke after ${formatDuration(row.graceMs)}${running}`,
    );
    if (row.error) out.line(`    state not readable: ${row.error}`);
  }
  const assisted = rows.filter((r) => r.kind === 'assisted').length;
  const automatic = rows.filter((r) => r.kind === 'automatic').length;
  out.line(
    `${rows.length} polic${rows.length === 1 ? 'y' : 'ies'}: ${automatic} automatic (rotated daemon.concurrency at a time), ${assisted} waiting for a person, ${rows.length - automatic - assisted} suspended.`,
  );
  if (estimate.automatic === 0) return;
  const assumed = estimate.assumed > 0 ? `; ${estimate.assumed} never rotated, counted at 2 s each` : '';
  const people = estimate.assisted > 0 ? ` The ${estimate.assisted} assisted take as long as the people asked.` : '';
  out.line(
    `Estimate: about ${formatDuration(estimate.seconds * 1_000)} for the ${estimate.automatic} automatic (bound by ${estimate.boundBy}, from each policy's last rotation time${assumed}).${people}`,
  );
}
