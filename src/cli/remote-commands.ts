import type { IncidentDrillRow } from '../control/incident-drill.js';
import type { IncidentEstimate } from '../control/incident-estimate.js';
import type { RequestOutcome } from '../control/request-rotation.js';
import type { Selector } from '../labels.js';
import type { PolicyStatus } from '../control/status.js';
import { out } from './output.js';
import { readToken } from './read-token.js';
import { callDaemon, type RemoteDaemon } from './remote.js';
import { describeOutcome, printDrill, type RotateRequest } from './rotate.js';
import { waitForRotations } from './wait-progress.js';
import { renderStatus } from './status.js';

/** `rotad status --server URL`: the daemon's own view, printed like the local command. */
export async function remoteStatus(remote: RemoteDaemon, json: boolean, selector?: Selector): Promise<number> {
  const query = selector ? `?selector=${encodeURIComponent(selector.text)}` : '';
  const { policies } = (await callDaemon(remote, 'GET', `/v1/policies${query}`)) as { policies: PolicyStatus[] };
  return renderStatus(policies, json);
}

/** `rotad rotate … --server URL`: one POST /v1/rotations; the daemon answers per policy as the local command prints. */
export async function remoteRotate(remote: RemoteDaemon, request: RotateRequest): Promise<number> {
  const { selection, incident, drill } = request;
  const body = {
    ...(selection.names && selection.names.length > 0 && { policies: selection.names }),
    ...(selection.all && { all: true }),
    ...(selection.selector && { selector: selection.selector.text }),
    ...(incident && { incident: true, reason: incident.reason }),
    ...(drill && { drill: true }),
  };
  const statuses = async (): Promise<PolicyStatus[]> => ((await callDaemon(remote, 'GET', '/v1/policies')) as { policies: PolicyStatus[] }).policies;
  const before = request.wait && !drill ? new Map((await statuses()).map((row) => [row.policy, row])) : undefined;
  const answer = (await callDaemon(remote, 'POST', '/v1/rotations', body)) as {
    rotations?: RequestOutcome[];
    drill?: IncidentDrillRow[];
    estimate?: IncidentEstimate;
  };
  if (answer.drill && answer.estimate) printDrill(answer.drill, incident?.reason ?? '', answer.estimate);
  for (const outcome of answer.rotations ?? []) out.line(describeOutcome(outcome, incident));
  if (!answer.rotations) return 0;
  out.line('the daemon serves the requests now; follow them with rotad status --server');
  if (!before) return 0;
  const requested = new Set(answer.rotations.filter((r) => r.requested).map((r) => r.policy));
  for (const policy of [...before.keys()]) if (!requested.has(policy)) before.delete(policy);
  return waitForRotations(statuses, before);
}

/** `rotad submit NAME --server URL`: the token from stdin, checked and staged by the daemon. */
export async function remoteSubmit(remote: RemoteDaemon, name: string, input: NodeJS.ReadStream): Promise<number> {
  const token = await readToken(input, `Paste the new token for ${name} (input hidden), then press Enter: `);
  const answer = (await callDaemon(remote, 'POST', `/v1/policies/${encodeURIComponent(name)}/submit`, { token })) as { rotationId: string };
  out.line(
    `${name}: token accepted (verified with the provider) and staged for rotation ${answer.rotationId}; the daemon promotes it, updates the consumers and then deals with the old token. Follow it with rotad status --server`,
  );
  return 0;
}

/** `rotad rollback NAME --server URL`. */
export async function remoteRollback(remote: RemoteDaemon, name: string): Promise<number> {
  const answer = (await callDaemon(remote, 'POST', `/v1/policies/${encodeURIComponent(name)}/rollback`, {})) as {
    action: string;
    rotationId?: string;
    restoredRotationId?: string;
  };
  out.line(
    answer.action === 'aborted'
      ? `${name}: rotation ${answer.rotationId} abandoned; the current credential is unchanged`
      : `${name}: previous credential (rotation ${answer.restoredRotationId}) is current again and was handed to every consumer; the daemon sends the notification and the audit event`,
  );
  return 0;
}
