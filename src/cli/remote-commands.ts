import { RotadError } from '../errors.js';
import type { PolicyStatus } from '../control/status.js';
import { out } from './output.js';
import { readToken } from './read-token.js';
import { callDaemon, type RemoteDaemon } from './remote.js';
import { renderStatus } from './status.js';

/** `rotad status --server URL`: the daemon's own view, printed like the local command. */
export async function remoteStatus(remote: RemoteDaemon, json: boolean): Promise<number> {
  const { policies } = (await callDaemon(remote, 'GET', '/v1/policies')) as { policies: PolicyStatus[] };
  return renderStatus(policies, json);
}

/** `rotad rotate NAME…|--all --server URL`: a request per policy; with --all, suspended ones are reported, not refused. */
export async function remoteRotate(remote: RemoteDaemon, names: readonly string[], all: boolean): Promise<number> {
  const targets = all ? ((await callDaemon(remote, 'GET', '/v1/policies')) as { policies: PolicyStatus[] }).policies.map((p) => p.policy) : names;
  for (const name of targets) {
    try {
      await callDaemon(remote, 'POST', `/v1/policies/${encodeURIComponent(name)}/rotate`, {});
      out.line(`${name}: rotation requested (the daemon serves it now; follow it with rotad status --server)`);
    } catch (error) {
      if (!all || !(error instanceof RotadError) || error.code !== 'POLICY_SUSPENDED') throw error;
      out.line(`${name}: suspended (suspend: true), not requested`);
    }
  }
  return 0;
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
