import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { ResolvedApi } from '../config/normalize.js';
import { handOver, openLink } from '../control/hand-over.js';
import { describeError, RotadError } from '../errors.js';
import { policyOfLink } from '../handover/link.js';
import { silentLogger } from '../observability/logger.js';
import { providerContext } from '../rotation/call-context.js';
import type { PolicyRuntime } from '../rotation/context.js';
import { Secret } from '../secret.js';
import { parseBody } from './body.js';
import type { ControlPort } from './control-port.js';
import { PAGE_SCRIPT, PAGE_STYLE, refusedPage, requestPage } from './handover-page.js';
import { httpStatusOf } from './http-errors.js';

const HandOverBody = z.strictObject({
  secret: z.string().min(1).max(256),
  token: z.string().min(1).max(4096),
});

/** Posts to one link: enough for a person who mistypes, far too few to guess anything. */
const POSTS_PER_LINK_PER_MINUTE = 10;

/**
 * The one-time hand-over page (docs/api.md): GET shows the request of the link's policy and a
 * password field, POST takes `{ secret, token }` from the page's script. No bearer token: the
 * link's secret, checked against the hash kept in the policy's state, is the credential.
 */
export function registerHandoverRoutes(app: FastifyInstance, api: ResolvedApi, control: ControlPort): void {
  app.get('/handover/assets/page.js', async (_request, reply) => reply.type('text/javascript; charset=utf-8').send(PAGE_SCRIPT));
  app.get('/handover/assets/page.css', async (_request, reply) => reply.type('text/css; charset=utf-8').send(PAGE_STYLE));
  app.get('/handover/:id', (request, reply) => showRequest(control, request, reply));
  app.post(
    '/handover/:id',
    {
      onRequest: app.rateLimit({
        max: POSTS_PER_LINK_PER_MINUTE,
        timeWindow: 60_000,
        keyGenerator: (request) => `link:${(request.params as { id: string }).id}`,
      }),
    },
    (request, reply) => takeToken(api, control, request, reply),
  );
}

/** The policy a link belongs to, if it is an assisted one the daemon runs. */
function policyOf(control: ControlPort, request: FastifyRequest): { id: string; policy: PolicyRuntime } {
  const { id } = request.params as { id: string };
  const name = policyOfLink(id);
  const policy = name === undefined ? undefined : control.runtime().policies.get(name);
  if (!policy?.provider.assisted) throw new RotadError('HANDOVER_LINK_INVALID', 'this link is not a rotad hand-over link; open it exactly as it was sent');
  return { id, policy };
}

/** GET: the request of the link's policy and a password field, or a page saying why not. */
async function showRequest(control: ControlPort, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  reply.type('text/html; charset=utf-8');
  try {
    const { id, policy } = policyOf(control, request);
    const snapshot = await policy.store.read(policy.ref);
    const link = openLink(policy, snapshot, id, Date.now());
    const ctx = providerContext(policy, snapshot.state.rotationId ?? '', new AbortController().signal, silentLogger());
    const personRequest = policy.provider.assisted!.createRequest(ctx, snapshot.current);
    return reply.send(
      requestPage({ linkId: id, policy: policy.name, request: personRequest, deadline: snapshot.state.assist!.deadline, expiresAt: link.expiresAt }),
    );
  } catch (error) {
    const { code, message } = describeError(error);
    return reply
      .code(httpStatusOf(code))
      .send(
        refusedPage(
          code === 'HANDOVER_LINK_INVALID' ? message : 'rotad cannot show this request right now (its store could not be read); try again in a minute.',
        ),
      );
  }
}

/** POST `{ secret, token }`: the token checked with the provider and staged, or refused with the reason (a link locks after `handoverTries`). */
async function takeToken(api: ResolvedApi, control: ControlPort, request: FastifyRequest, reply: FastifyReply): Promise<unknown> {
  const { id, policy } = policyOf(control, request);
  const { secret, token } = parseBody(HandOverBody, request.body);
  if (policy.settings.suspended) throw new RotadError('POLICY_SUSPENDED', `policy ${policy.name} is suspended: no rotation goes on, so no token is taken now`);
  const outcome = await handOver(policy, new Secret(token), control.config().daemon.retry, { id, secret, maxTries: api.handoverTries });
  control.audit.record({
    rotationId: outcome.rotationId,
    policy: policy.name,
    phase: 'obtain',
    outcome: outcome.accepted ? 'handed-over' : 'refused',
    actor: 'handover-link',
    code: outcome.accepted ? undefined : 'SUBMISSION_REFUSED',
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
