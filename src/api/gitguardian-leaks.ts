import type { FastifyInstance } from 'fastify';
import type { ResolvedApi } from '../config/normalize.js';
import { RotadError } from '../errors.js';
import { gitguardianSignatureValid } from '../vendors/gitguardian.js';
import type { ControlPort } from './control-port.js';
import { rawJsonPost } from './raw-body-route.js';
import { reportLeak } from './report-leak.js';

/** A delivery signed longer ago than this (or that far ahead) is refused as a possible replay. */
const MAX_SKEW_MS = 5 * 60_000;
/** Signatures remembered, so that a replayed delivery within the skew starts nothing again. */
const SIGNATURES_KEPT = 10_000;
/** The incident events that mean "this value leaked (again)". */
const LEAK_ACTIONS = new Set(['incident_triggered', 'incident_regression', 'incident_reopened']);

/**
 * POST /v1/leaks/gitguardian: GitGuardian custom webhooks. A delivery is authenticated by its
 * `Gitguardian-Signature` (GitGuardian sends no bearer token) and must be signed within five
 * minutes. An incident event carries no secret value but its HasMySecretLeaked hash, which rotad
 * compares with the same hash of each credential it manages. Answers: 200 with what was done,
 * 202 for an event that asks nothing, 401 for a bad signature or an old or replayed delivery,
 * 400 for an incident without `hmsl_hash`.
 */
export function registerGitguardianLeakRoute(app: FastifyInstance, api: ResolvedApi, control: ControlPort, env: NodeJS.ProcessEnv = process.env): void {
  const gitguardian = api.gitguardian;
  if (!gitguardian) return;
  const seen = new Set<string>();
  rawJsonPost(app, '/v1/leaks/gitguardian', async (raw, request, reply) => {
    const token = env[gitguardian.signatureTokenEnv] ?? '';
    const timestamp = String(request.headers['timestamp'] ?? '');
    const signature = request.headers['gitguardian-signature'];
    if (token === '' || !gitguardianSignatureValid(token, timestamp, raw, typeof signature === 'string' ? signature : undefined))
      throw new RotadError(
        'API_UNAUTHORIZED',
        'the Gitguardian-Signature of this delivery does not match the signature token (daemon.api.gitguardian.signatureTokenEnv)',
      );
    const signedAt = timestampMs(timestamp);
    if (signedAt === undefined || Math.abs(Date.now() - signedAt) > MAX_SKEW_MS)
      throw new RotadError('API_UNAUTHORIZED', 'the delivery was signed more than 5 minutes from now (its Timestamp header): refused as a possible replay');
    if (seen.has(String(signature))) return { handled: false, message: 'this delivery was handled already' };
    const incident = parseIncident(raw);
    if (!LEAK_ACTIONS.has(incident.action)) return reply.code(202).send({ handled: false, message: `event ${incident.action} asks nothing of rotad` });
    remember(seen, String(signature));
    const outcome = await reportLeak(
      control,
      { hmslHash: incident.hmslHash, source: 'gitguardian', url: incident.url ?? `GitGuardian incident ${incident.id}` },
      `gitguardian-webhook:${incident.id}`,
    );
    return { handled: true, ...outcome };
  });
}

/** The Timestamp header: Unix seconds or milliseconds, or an ISO 8601 time. */
function timestampMs(text: string): number | undefined {
  if (/^\d+(\.\d+)?$/.test(text)) {
    const n = Number(text);
    return n > 1e12 ? n : n * 1_000;
  }
  const parsed = Date.parse(text);
  return Number.isNaN(parsed) ? undefined : parsed;
}

function parseIncident(raw: string): { action: string; id: string; hmslHash: string; url: string | undefined } {
  let body: { action?: unknown; incident?: { id?: unknown; hmsl_hash?: unknown; gitguardian_url?: unknown } };
  try {
    body = JSON.parse(raw) as typeof body;
  } catch {
    throw new RotadError('REQUEST_INVALID', 'the delivery is not JSON');
  }
  const action = typeof body.action === 'string' ? body.action : '';
  if (!LEAK_ACTIONS.has(action)) return { action, id: '', hmslHash: '', url: undefined };
  const hash = body.incident?.hmsl_hash;
  if (typeof hash !== 'string' || !/^[0-9a-fA-F]{64}$/.test(hash))
    throw new RotadError(
      'REQUEST_INVALID',
      `a GitGuardian ${action} delivery needs incident.hmsl_hash (64 hexadecimal digits): rotad matches the leak by it, as GitGuardian sends no value`,
    );
  const url = body.incident?.gitguardian_url;
  return { action, id: String(body.incident?.id ?? ''), hmslHash: hash.toLowerCase(), url: typeof url === 'string' ? url : undefined };
}

function remember(seen: Set<string>, signature: string): void {
  seen.add(signature);
  if (seen.size > SIGNATURES_KEPT) seen.delete(seen.values().next().value!);
}
