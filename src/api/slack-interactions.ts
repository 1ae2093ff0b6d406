import type { FastifyInstance } from 'fastify';
import type { ApiScope } from '../config/api-options.js';
import type { ResolvedApi } from '../config/normalize.js';
import { recordRequest, snoozeRequest } from '../control/update-state.js';
import { describeError, RotadError } from '../errors.js';
import { SLACK_ACTIONS, withLine, type ButtonValue, type SlackActionId } from '../notifiers/slack/buttons.js';
import { momentForPerson } from '../timing/ask-window.js';
import { replaceOriginal, slackSignatureValid, SlackWebApi, tellClicker } from '../vendors/slack.js';
import type { ControlPort } from './control-port.js';
import { requestPolicyRotation, rollbackFromApi } from './policy-actions.js';

/** Interaction payloads are small; Slack sends them form-encoded (`payload=<JSON>`). */
const BODY_LIMIT = 64 * 1024;
/** A signed request is accepted once: its signature is remembered past the five minutes its timestamp is good for. */
const REPLAY_WINDOW_MS = 10 * 60_000;
const GROUP_CACHE_MS = 5 * 60_000;
const REMIND_IN_MS = 4 * 3_600_000;

/** The API scope each button needs (the same names as the API tokens'). */
const SCOPE_OF: Record<Exclude<SlackActionId, 'rotad_open'>, ApiScope> = {
  rotad_remind: 'submit',
  rotad_deleted: 'submit',
  rotad_rotate: 'rotate',
  rotad_rollback: 'rollback',
};

interface Click {
  action: Exclude<SlackActionId, 'rotad_open'>;
  value: ButtonValue;
  user: string;
  responseUrl: string;
  message: { text: string; blocks: unknown[] };
}

function clickOf(raw: string): Click | undefined {
  let payload: {
    type?: unknown;
    user?: { id?: unknown };
    actions?: Array<{ action_id?: unknown; value?: unknown }>;
    response_url?: unknown;
    message?: { text?: unknown; blocks?: unknown };
  };
  try {
    payload = JSON.parse(new URLSearchParams(raw).get('payload') ?? '') as typeof payload;
  } catch {
    throw new RotadError('REQUEST_INVALID', 'the interaction carries no JSON payload');
  }
  const first = payload.actions?.[0];
  const action = String(first?.action_id ?? '');
  if (payload.type !== 'block_actions' || !Object.hasOwn(SCOPE_OF, action)) return undefined;
  let value: ButtonValue;
  try {
    value = JSON.parse(String(first?.value)) as ButtonValue;
  } catch {
    throw new RotadError('REQUEST_INVALID', 'the button carries no policy');
  }
  if (
    typeof payload.user?.id !== 'string' ||
    typeof payload.response_url !== 'string' ||
    typeof value.policy !== 'string' ||
    typeof value.rotationId !== 'string'
  )
    throw new RotadError('REQUEST_INVALID', 'the interaction lacks the user, the response_url or the button value');
  return {
    action: action as Click['action'],
    value,
    user: payload.user.id,
    responseUrl: payload.response_url,
    message: { text: String(payload.message?.text ?? ''), blocks: Array.isArray(payload.message?.blocks) ? payload.message.blocks : [] },
  };
}

/**
 * POST /v1/slack/interactions (docs/chat-ops.md): clicks on the buttons of rotad's Slack messages.
 * Checked as Slack documents it (X-Slack-Signature over the raw body under the app's signing
 * secret, X-Slack-Request-Timestamp within five minutes), each signed request accepted once, and
 * each action allowed only to the users and user groups listed for its scope. Answered 200 at once
 * (Slack wants an answer within 3 s); the action then runs, and the message is updated in place
 * through its response_url with what happened and who did it. The audit trail names `slack:<user>`.
 */
export function registerSlackInteractions(app: FastifyInstance, api: ResolvedApi, control: ControlPort, env: NodeJS.ProcessEnv = process.env): void {
  const slack = api.slack;
  if (!slack) return;
  const seen = new Map<string, number>();
  const web = slack.botTokenEnv === undefined ? undefined : new SlackWebApi(slack.apiUrl, () => env[slack.botTokenEnv!] ?? '');
  const groups = new Map<string, { members: Set<string>; until: number }>();

  const allowed = async (scope: ApiScope, user: string): Promise<boolean> => {
    const ids = slack.allow[scope as keyof typeof slack.allow] ?? [];
    if (ids.includes(user)) return true;
    for (const group of ids.filter((id) => id.startsWith('S'))) {
      let cached = groups.get(group);
      if (!cached || cached.until < Date.now()) {
        cached = { members: new Set(web ? await web.groupMembers(group) : []), until: Date.now() + GROUP_CACHE_MS };
        groups.set(group, cached);
      }
      if (cached.members.has(user)) return true;
    }
    return false;
  };

  const act = async (click: Click): Promise<void> => {
    const { action, value, user, responseUrl } = click;
    const actor = `slack:${user}`;
    const scope = SCOPE_OF[action];
    if (!(await allowed(scope, user))) {
      control.audit.record({ policy: value.policy, rotationId: value.rotationId, phase: 'slack', outcome: 'refused', actor, code: 'API_FORBIDDEN' });
      await tellClicker(
        responseUrl,
        `<@${user}> may not ${SLACK_ACTIONS[action]}: daemon.api.slack.allow.${scope} lists neither you nor a group of yours. Nothing was done.`,
      );
      return;
    }
    const policy = control.runtime().policies.get(value.policy);
    if (!policy) {
      await tellClicker(responseUrl, `rotad has no policy named ${value.policy} any more; nothing was done.`);
      return;
    }
    const finished = { line: ':white_check_mark: This request is finished: nothing to do any more.', keep: false };
    let outcome: { line: string; keep: boolean };
    try {
      if (action === 'rotad_remind') {
        const until = Date.now() + REMIND_IN_MS;
        const open = await snoozeRequest(policy, value.rotationId, until);
        outcome = open
          ? { line: `:alarm_clock: <@${user}> will be reminded at ${momentForPerson(until, policy.settings.assist.timezone)}.`, keep: true }
          : finished;
      } else if (action === 'rotad_deleted') {
        const { state } = await policy.store.read(policy.ref);
        if (state.rotationId === value.rotationId && state.assist?.action === 'delete') {
          await recordRequest(policy, Date.now(), actor);
          control.wake([policy.name]);
          outcome = { line: `:mag: <@${user}> says the old token is deleted: rotad is checking with the provider now.`, keep: true };
        } else outcome = finished;
      } else if (action === 'rotad_rotate') {
        await requestPolicyRotation(control, policy, actor);
        outcome = { line: `:arrows_counterclockwise: <@${user}> asked rotad to rotate now.`, keep: false };
      } else {
        const rolled = await rollbackFromApi(control, policy, actor);
        outcome = { line: `:rewind: Rolled back by <@${user}>: ${rolled.message}`, keep: false };
      }
    } catch (error) {
      const { code, message } = describeError(error);
      control.logger.warn({ policy: value.policy, actor, code }, 'Slack action not done');
      await tellClicker(responseUrl, `That did not work (${code}): ${message}`);
      return;
    }
    if (action === 'rotad_remind' || action === 'rotad_deleted')
      control.audit.record({ policy: policy.name, rotationId: value.rotationId, phase: 'slack', outcome: 'requested', actor });
    await replaceOriginal(responseUrl, withLine(click.message, outcome.line, outcome.keep));
  };

  void app.register(async (scope) => {
    // The signature is over the bytes as sent: this route takes its body as text.
    scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: BODY_LIMIT }, (_request, body, done) => done(null, body));
    scope.post('/v1/slack/interactions', { bodyLimit: BODY_LIMIT }, async (request, reply) => {
      const raw = typeof request.body === 'string' ? request.body : '';
      const secret = env[slack.signingSecretEnv] ?? '';
      const header = (name: string): string | undefined => (typeof request.headers[name] === 'string' ? (request.headers[name] as string) : undefined);
      const signature = header('x-slack-signature');
      const verdict =
        secret === ''
          ? 'forged'
          : slackSignatureValid(secret, { timestamp: header('x-slack-request-timestamp'), signature }, raw, Math.floor(Date.now() / 1000));
      if (verdict !== 'valid')
        throw new RotadError(
          'API_UNAUTHORIZED',
          verdict === 'stale'
            ? "the request's X-Slack-Request-Timestamp is more than five minutes off: refused as a replay (is this host's clock right?)"
            : 'the X-Slack-Signature of this request does not match the signing secret (daemon.api.slack.signingSecretEnv)',
        );
      const now = Date.now();
      for (const [key, until] of seen) if (until < now) seen.delete(key);
      if (seen.has(signature!)) {
        control.logger.warn('Slack interaction received twice (a replay): ignored');
        return reply.code(200).send();
      }
      seen.set(signature!, now + REPLAY_WINDOW_MS);
      const click = clickOf(raw);
      if (click) void act(click).catch((error: unknown) => control.logger.error({ error: describeError(error) }, 'Slack action failed'));
      return reply.code(200).send();
    });
  });
}
