import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { ResolvedApi } from '../config/normalize.js';
import { honouredLink, NOT_OPEN } from '../handover/request.js';
import { handOver } from '../handover/take-token.js';
import { RotadError } from '../errors.js';
import { policyOfLink } from '../rotation/handover-link.js';
import { silentLogger } from '../observability/logger.js';
import { providerContext } from '../rotation/call-context.js';
import type { PolicyRuntime } from '../rotation/context.js';
import { Secret } from '../secret.js';
import { parseBody } from './body.js';
import { limitPerSecret } from './secret-limit.js';
import type { ControlPort } from './control-port.js';
import { linkPage, PAGE_SCRIPT, PAGE_STYLE, requestView } from './handover-page.js';

const HandOverBody = z.strictObject({
  secret: z.string().min(1).max(256),
  token: z.string().min(1).max(4096),
});
const ViewBody = z.strictObject({ secret: z.string().min(1).max(256) });

/** Posts per link secret: enough for a person who mistypes, far too few to guess anything. */
const POSTS_PER_SECRET_PER_MINUTE = 10;
/** Posts to hand-over links per client address (behind an ingress: per person, with `trustedProxies`). */
const POSTS_PER_CLIENT_PER_MINUTE = 20;

/**
 * The one-time hand-over page (docs/api.md). GET answers the same page for every link, and the
 * page's script asks for the request with the link's secret (`POST …/request`); POST takes
 * `{ secret, token }`. No bearer token: the link's secret, checked against the hash kept in the
 * policy's state, is the credential. Posts are limited per client address and per link secret
 * (after the body is read), never per link id alone: the id travels in URLs and proxy logs, and
 * whoever saw it must not be able to keep the person holding the secret out.
 */
export function registerHandoverRoutes(app: FastifyInstance, api: ResolvedApi, control: ControlPort): void {
  const limits = {
    onRequest: app.rateLimit({ max: POSTS_PER_CLIENT_PER_MINUTE, timeWindow: 60_000, keyGenerator: (request) => `handover-client:${request.ip}` }),
    preHandler: limitPerSecret(POSTS_PER_SECRET_PER_MINUTE, 60_000, () => Date.now()),
  };
  app.get('/handover/assets/page.js', async (_request, reply) => reply.type('text/javascript; charset=utf-8').send(PAGE_SCRIPT));
  app.get('/handover/assets/page.css', async (_request, reply) => reply.type('text/css; charset=utf-8').send(PAGE_STYLE));
  app.get('/handover/:id', async (_request, reply) => reply.type('text/html; charset=utf-8').send(linkPage()));
  app.post('/handover/:id/request', limits, (request) => showRequest(control, request));
  app.post('/handover/:id', limits, (request, reply) => takeToken(api, control, request, reply));
}

/** The policy a link belongs to, if it is an assisted one the daemon runs; any other answers as a link that is not open. */
function policyOf(control: ControlPort, request: FastifyRequest): { id: string; policy: PolicyRuntime } {
  const { id } = request.params as { id: string };
  const name = policyOfLink(id);
  const policy = name === undefined ? undefined : control.runtime().policies.get(name);
  if (!policy?.provider.assisted) throw new RotadError('HANDOVER_LINK_INVALID', NOT_OPEN);
  return { id, policy };
}

/** POST `{ secret }`: the request of the link, once its secret checks out (and the link is open). */
async function showRequest(control: ControlPort, request: FastifyRequest): Promise<Record<string, unknown>> {
  const { secret } = parseBody(ViewBody, request.body);
  const { id, policy } = policyOf(control, request);
  const snapshot = await policy.store.read(policy.ref);
  const link = honouredLink(policy, snapshot, { id, secret }, policy.clock.now());
  const ctx = providerContext(policy, snapshot.state.rotationId ?? '', new AbortController().signal, silentLogger());
  const personRequest = policy.provider.assisted!.createRequest(ctx, snapshot.current);
  return requestView({ policy: policy.name, request: personRequest, deadline: snapshot.state.assist!.deadline, expiresAt: link.expiresAt });
}

/** POST `{ secret, token }`: the token checked with the provider and staged, or refused with the reason (a link locks after `handoverTries`). */
async function takeToken(api: ResolvedApi, control: ControlPort, request: FastifyRequest, reply: FastifyReply): Promise<unknown> {
  const { secret, token } = parseBody(HandOverBody, request.body);
  const { id, policy } = policyOf(control, request);
  if (policy.settings.suspended) throw new RotadError('POLICY_SUSPENDED', `policy ${policy.name} is suspended: no rotation goes on, so no token is taken now`);
  const outcome = await handOver(policy, new Secret(token), control.config().daemon.retry, 'handover-link', { id, secret, maxTries: api.handoverTries });
  control.audit.record({
    rotationId: outcome.rotationId,
    policy: policy.name,
    phase: 'obtain',
    outcome: outcome.accepted ? 'handed-over' : 'refused',
    actor: 'handover-link',
    code: outcome.accepted ? undefined : 'SUBMISSION_REFUSED',
    reason: outcome.incident,
  });
  if (outcome.accepted) {
    policy.logger.info({ rotation: outcome.rotationId, via: 'handover-link' }, 'Token handed over and staged');
    control.wake([policy.name]);
    return {
      accepted: true,
      rotationId: outcome.rotationId,
      message: `Thank you: the token was accepted (the provider confirmed it) and staged for rotation ${outcome.rotationId}. rotad now promotes it, hands it to the systems that use it, and then deals with the old token; nothing more is needed from you unless you are asked again.`,
    };
  }
  policy.logger.warn({ rotation: outcome.rotationId, reason: outcome.reason, via: 'handover-link', triesLeft: outcome.triesLeft }, 'Handed-over token refused');
  if (outcome.triesLeft === 0) {
    await policy.notify({
      type: 'action-required',
      rotationId: outcome.rotationId,
      phase: 'obtain',
      code: 'SUBMISSION_REFUSED',
      message: `a hand-over link was locked after ${api.handoverTries} refused tokens (last reason: ${outcome.reason}). The request stays open: the next reminder brings a new link, or hand the token over with rotad submit ${policy.name}.`,
    });
  }
  return reply.code(422).send({ accepted: false, code: 'SUBMISSION_REFUSED', message: outcome.reason, triesLeft: outcome.triesLeft });
}
