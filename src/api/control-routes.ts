import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { ApiScope } from '../config/api-options.js';
import { handOver } from '../handover/take-token.js';
import { requestRotations, suspendedError } from '../control/request-rotation.js';
import { policyStatuses } from '../control/status.js';
import { RotadError } from '../errors.js';
import { newLeaseOwner } from '../rotation/lease.js';
import { rollbackPolicy } from '../rotation/rollback.js';
import type { PolicyRuntime } from '../rotation/context.js';
import { Secret } from '../secret.js';
import { parseBody } from './body.js';
import type { ControlPort } from './control-port.js';
import { authenticate, type ApiCaller, type loadApiTokens } from './tokens.js';

const NoBody = z.strictObject({});
const SubmitBody = z.strictObject({ token: z.string().min(1).max(4096) });

/**
 * The control API under /v1: status (scope read), rotation requests (rotate), hand-over of a token
 * (submit) and rollback (rollback). Every route authenticates first; the caller's token name is the
 * audit trail's actor. Bodies are JSON, checked with zod; errors are `{ code, message }`.
 */
export function registerControlRoutes(app: FastifyInstance, tokens: ReturnType<typeof loadApiTokens>, control: ControlPort): void {
  const callerFor = (request: FastifyRequest, scope: ApiScope): ApiCaller => {
    const caller = authenticate(tokens, request.headers.authorization);
    if (!caller) throw new RotadError('API_UNAUTHORIZED', 'send a valid token as Authorization: Bearer <token> (one of daemon.api.tokens)');
    if (!caller.scopes.includes(scope))
      throw new RotadError('API_FORBIDDEN', `token ${caller.name} lacks the scope ${scope} (it has ${caller.scopes.join(', ')})`);
    return caller;
  };
  const policyNamed = (request: FastifyRequest): PolicyRuntime => {
    const { name } = request.params as { name: string };
    const policy = control.runtime().policies.get(name);
    if (!policy) throw new RotadError('POLICY_NOT_FOUND', `no policy named '${name}'`);
    return policy;
  };
  const suspended = (name: string): boolean => control.runtime().policies.get(name)?.settings.suspended === true;

  app.get('/v1/policies', async (request) => {
    callerFor(request, 'read');
    return { policies: await policyStatuses(control.runtime()) };
  });

  app.get('/v1/policies/:name', async (request) => {
    callerFor(request, 'read');
    const policy = policyNamed(request);
    const [status] = await policyStatuses(control.runtime(), [policy.name]);
    return status;
  });

  app.post('/v1/policies/:name/rotate', async (request) => {
    const caller = callerFor(request, 'rotate');
    parseBody(NoBody, request.body);
    const policy = policyNamed(request);
    await requestRotations(control.config(), [policy], true, Date.now());
    control.audit.record({ policy: policy.name, phase: 'request', outcome: 'requested', actor: `api:${caller.name}` });
    control.wake([policy.name]);
    return { policy: policy.name, requested: true };
  });

  app.post('/v1/policies/:name/submit', async (request, reply) => {
    const caller = callerFor(request, 'submit');
    const { token } = parseBody(SubmitBody, request.body);
    const policy = policyNamed(request);
    if (suspended(policy.name)) throw suspendedError([policy.name], control.config().path);
    const outcome = await handOver(policy, new Secret(token), control.config().daemon.retry);
    const actor = `api:${caller.name}`;
    control.audit.record({
      rotationId: outcome.rotationId,
      policy: policy.name,
      phase: 'obtain',
      outcome: outcome.accepted ? 'handed-over' : 'refused',
      actor,
      code: outcome.accepted ? undefined : 'SUBMISSION_REFUSED',
    });
    if (!outcome.accepted) return reply.code(422).send({ code: 'SUBMISSION_REFUSED', message: outcome.reason, rotationId: outcome.rotationId });
    control.wake([policy.name]);
    return { policy: policy.name, accepted: true, rotationId: outcome.rotationId };
  });

  app.post('/v1/policies/:name/rollback', async (request) => {
    const caller = callerFor(request, 'rollback');
    parseBody(NoBody, request.body);
    const policy = policyNamed(request);
    // A holder of its own: a rotation this daemon is working on is refused like one of another daemon.
    const outcome = await rollbackPolicy({ ...policy, owner: newLeaseOwner('api') }, `api:${caller.name}`);
    control.wake([policy.name]);
    return { policy: policy.name, ...outcome };
  });
}
