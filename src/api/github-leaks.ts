import type { FastifyInstance } from 'fastify';
import type { ResolvedApi } from '../config/normalize.js';
import { describeError, RotadError } from '../errors.js';
import { Secret } from '../secret.js';
import { githubSignatureValid, readSecretScanningAlert } from '../vendors/github.js';
import type { ControlPort } from './control-port.js';
import { rawJsonPost } from './raw-body-route.js';
import { reportLeak } from './report-leak.js';

/** Deliveries remembered, so that a replayed one (same X-GitHub-Delivery) starts nothing again. */
const DELIVERIES_KEPT = 10_000;
/** The alert actions that mean "this value leaked". */
const LEAK_ACTIONS = new Set(['created', 'reopened', 'publicly_leaked', 'validated']);

/**
 * POST /v1/leaks/github: GitHub secret scanning alerts as webhooks (event `secret_scanning_alert`).
 * The delivery is authenticated by its signature (GitHub sends no bearer token); a valid one
 * whose alert says a value leaked has that value read from GitHub's API and handled as a leak
 * report (the value matched by fingerprint, never stored or logged). Answers: 200 with what was
 * done, 202 for an event or action that asks nothing, 401 for a bad signature, 502 when GitHub's
 * API could not be read (GitHub then shows the delivery as failed, to redeliver).
 */
export function registerGithubLeakRoute(app: FastifyInstance, api: ResolvedApi, control: ControlPort, env: NodeJS.ProcessEnv = process.env): void {
  const github = api.github;
  if (!github) return;
  const delivered = new Set<string>();
  rawJsonPost(app, '/v1/leaks/github', async (raw, request, reply) => {
    const secret = env[github.webhookSecretEnv] ?? '';
    const signature = request.headers['x-hub-signature-256'];
    if (secret === '' || !githubSignatureValid(secret, raw, typeof signature === 'string' ? signature : undefined))
      throw new RotadError(
        'API_UNAUTHORIZED',
        'the X-Hub-Signature-256 of this delivery does not match the webhook secret (daemon.api.github.webhookSecretEnv)',
      );
    const event = String(request.headers['x-github-event'] ?? '');
    const delivery = String(request.headers['x-github-delivery'] ?? '');
    if (event === 'ping') return { handled: false, message: 'pong: the webhook reaches rotad and its signature checks out' };
    if (delivered.has(delivery)) return reply.code(200).send({ handled: false, message: `delivery ${delivery} was handled already` });
    if (event !== 'secret_scanning_alert') return reply.code(202).send({ handled: false, message: `event ${event} asks nothing of rotad` });
    const payload = parsePayload(raw);
    if (!LEAK_ACTIONS.has(payload.action)) return reply.code(202).send({ handled: false, message: `alert action ${payload.action} asks nothing of rotad` });
    let alert;
    try {
      alert = await readSecretScanningAlert({
        apiUrl: github.apiUrl,
        token: env[github.tokenEnv] ?? '',
        repository: payload.repository,
        number: payload.number,
      });
    } catch (error) {
      const { code, message } = describeError(error);
      control.logger.error({ delivery, repository: payload.repository, alert: payload.number, code, reason: message }, 'GitHub leak alert could not be read');
      return reply.code(502).send({ code, message });
    }
    remember(delivered, delivery);
    const outcome = await reportLeak(
      control,
      { value: new Secret(alert.secret), source: 'github', url: alert.htmlUrl ?? `${payload.repository} secret scanning alert ${payload.number}` },
      `github-webhook:${delivery}`,
    );
    return { handled: true, ...outcome };
  });
}

function parsePayload(raw: string): { action: string; repository: string; number: number } {
  let body: { action?: unknown; alert?: { number?: unknown }; repository?: { full_name?: unknown } };
  try {
    body = JSON.parse(raw) as typeof body;
  } catch {
    throw new RotadError('REQUEST_INVALID', 'the delivery is not JSON');
  }
  const { action } = body;
  const number = body.alert?.number;
  const repository = body.repository?.full_name;
  if (typeof action !== 'string' || typeof number !== 'number' || typeof repository !== 'string' || !/^[\w.-]+\/[\w.-]+$/.test(repository))
    throw new RotadError('REQUEST_INVALID', 'a secret_scanning_alert delivery needs action, alert.number and repository.full_name');
  return { action, repository, number };
}

function remember(delivered: Set<string>, delivery: string): void {
  if (delivery === '') return;
  delivered.add(delivery);
  if (delivered.size > DELIVERIES_KEPT) delivered.delete(delivered.values().next().value!);
}
