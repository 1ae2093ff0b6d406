import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { ApiScope } from '../config/api-options.js';
import { handOver } from '../handover/take-token.js';
import { requestRotations, suspendedError } from '../control/request-rotation.js';
import { policyStatuses } from '../control/status.js';
import { drillIncident } from '../control/incident-drill.js';
import { estimateIncident } from '../control/incident-estimate.js';
import { parseSince, policyHistory } from '../control/history.js';
import { selectPolicies } from '../control/select.js';
import { parseSelector } from '../labels.js';
import { RotadError } from '../errors.js';
import { requestPolicyRotation, rollbackFromApi } from './policy-actions.js';
import type { PolicyRuntime } from '../rotation/context.js';
import { Secret } from '../secret.js';
import { reportLeak } from './report-leak.js';
import { streamProgress, wantsEventStream } from './progress-stream.js';
import { parseBody } from './body.js';
import type { ControlPort } from './control-port.js';
import { authenticate, type ApiCaller, type loadApiTokens } from './tokens.js';

const NoBody = z.strictObject({});
const SubmitBody = z.strictObject({ token: z.string().min(1).max(4096) });
/** POST /v1/rotations: which policies (one way), and whether for an incident (with its reason), or only a drill of one. */
const RotationsBody = z
  .strictObject({
    policies: z.array(z.string().min(1)).min(1).optional(),
    all: z.literal(true).optional(),
    selector: z.string().min(1).max(1000).optional(),
    incident: z.boolean().default(false),
    reason: z.string().trim().min(1).max(500).optional(),
    drill: z.boolean().default(false),
  })
  .refine((b) => [b.policies, b.all, b.selector].filter((way) => way !== undefined).length === 1, {
    error: 'name the policies one way: policies, all or selector',
  })
  .refine((b) => !b.incident || b.reason !== undefined, { error: 'an incident needs a reason (it goes into every message and audit event)' })
  .refine((b) => b.incident || (b.reason === undefined && !b.drill), { error: 'reason and drill go with incident: true' });
/** POST /v1/leaks: the leaked value or its fingerprint, who found it and where. */
const LeakBody = z
  .strictObject({
    value: z.string().min(1).max(8192).optional(),
    fingerprint: z.string().min(1).max(64).optional(),
    source: z.string().regex(/^[a-zA-Z0-9][a-zA-Z0-9._-]{0,62}$/, { error: 'a source is a short name, e.g. github, gitguardian, trufflehog' }),
    url: z.string().max(2000).optional(),
  })
  .refine((b) => (b.value === undefined) !== (b.fingerprint === undefined), { error: 'send the leaked value or its fingerprint, one of them' });
/** Requests for at most this many policies wake the daemon naming them (looked at first). */
const WAKE_NAMED_AT_MOST = 64;
const PoliciesQuery = z.strictObject({ selector: z.string().min(1).max(1000).optional() });
const HistoryQuery = z.strictObject({ since: z.string().min(1).max(100).optional() });

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
    const { selector } = parseBody(PoliciesQuery, request.query);
    const runtime = control.runtime();
    const only = selector === undefined ? undefined : selectPolicies(runtime.policies, { selector: parseSelector(selector) }).map((p) => p.name);
    return { policies: await policyStatuses(runtime, only) };
  });

  app.post('/v1/rotations', async (request, reply) => {
    // Authenticated before the body is read: an incident needs its own scope.
    const caller = callerFor(request, (request.body as { incident?: unknown } | undefined)?.incident === true ? 'incident' : 'rotate');
    const body = parseBody(RotationsBody, request.body);
    const runtime = control.runtime();
    const policies = selectPolicies(runtime.policies, {
      names: body.policies,
      all: body.all,
      selector: body.selector === undefined ? undefined : parseSelector(body.selector),
    });
    if (body.drill) {
      const drill = await drillIncident(runtime, policies);
      return { drill, estimate: estimateIncident(drill, runtime.config.daemon) };
    }
    const actor = `api:${caller.name}`;
    const incident = body.incident ? { reason: body.reason!, actor } : undefined;
    const stream = wantsEventStream(request);
    const before = stream
      ? new Map(
          (
            await policyStatuses(
              runtime,
              policies.map((p) => p.name),
            )
          ).map((row) => [row.policy, row]),
        )
      : undefined;
    const rotations = await requestRotations(control.config(), policies, body.policies !== undefined, Date.now(), incident, actor);
    for (const { policy } of rotations.filter((r) => r.requested))
      control.audit.record({ policy, phase: 'request', outcome: 'requested', actor, ...(incident && { reason: incident.reason }) });
    const requested = rotations.filter((r) => r.requested).map((r) => r.policy);
    // A few are looked at first; a fleet is one pass over every policy (naming thousands would have each read while every slot is busy).
    control.wake(requested.length <= WAKE_NAMED_AT_MOST ? requested : undefined);
    if (!before) return { rotations };
    const followed = new Set(requested);
    for (const name of [...before.keys()]) if (!followed.has(name)) before.delete(name);
    return streamProgress(request, reply, () => control.runtime(), before, { rotations });
  });

  app.get('/v1/policies/:name', async (request) => {
    callerFor(request, 'read');
    const policy = policyNamed(request);
    const [status] = await policyStatuses(control.runtime(), [policy.name]);
    return status;
  });

  app.get('/v1/policies/:name/history', async (request) => {
    callerFor(request, 'read');
    const { since } = parseBody(HistoryQuery, request.query);
    const policy = policyNamed(request);
    return { policy: policy.name, rotations: await policyHistory(policy, since === undefined ? undefined : parseSince(since, Date.now())) };
  });

  app.post('/v1/policies/:name/rotate', async (request) => {
    const caller = callerFor(request, 'rotate');
    parseBody(NoBody, request.body);
    const policy = policyNamed(request);
    await requestPolicyRotation(control, policy, `api:${caller.name}`);
    return { policy: policy.name, requested: true };
  });

  app.post('/v1/leaks', async (request) => {
    const caller = callerFor(request, 'leak');
    const body = parseBody(LeakBody, request.body);
    const value = body.value === undefined ? undefined : new Secret(body.value);
    const report = { value, fingerprint: body.fingerprint, source: body.source, url: body.url };
    const outcome = await reportLeak(control, report, `api:${caller.name}`);
    return outcome;
  });

  app.post('/v1/policies/:name/submit', async (request, reply) => {
    const caller = callerFor(request, 'submit');
    const { token } = parseBody(SubmitBody, request.body);
    const policy = policyNamed(request);
    if (suspended(policy.name)) throw suspendedError([policy.name], control.config().path);
    const outcome = await handOver(policy, new Secret(token), control.config().daemon.retry, `api:${caller.name}`);
    const actor = `api:${caller.name}`;
    control.audit.record({
      rotationId: outcome.rotationId,
      policy: policy.name,
      phase: 'obtain',
      outcome: outcome.accepted ? 'handed-over' : 'refused',
      actor,
      code: outcome.accepted ? undefined : 'SUBMISSION_REFUSED',
      reason: outcome.incident,
    });
    if (!outcome.accepted) return reply.code(422).send({ code: 'SUBMISSION_REFUSED', message: outcome.reason, rotationId: outcome.rotationId });
    control.wake([policy.name]);
    return { policy: policy.name, accepted: true, rotationId: outcome.rotationId };
  });

  app.post('/v1/policies/:name/rollback', async (request) => {
    const caller = callerFor(request, 'rollback');
    parseBody(NoBody, request.body);
    const policy = policyNamed(request);
    const outcome = await rollbackFromApi(control, policy, `api:${caller.name}`);
    return { policy: policy.name, ...outcome };
  });
}
