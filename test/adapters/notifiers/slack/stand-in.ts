import { createHmac } from 'node:crypto';
import { SaasServer, type Reply, type Request } from '../../../servers/saas/base.js';

/** One message posted to the incoming webhook: its fallback text (which carries the hand-over link) and its blocks. */
export interface SlackMessage {
  text: string;
  blocks: unknown[];
}

/** A message a bot posted with chat.postMessage, as it stands now (chat.update and response_url replace it). */
export interface BotMessage extends SlackMessage {
  channel: string;
  ts: string;
  /** Its earlier versions, oldest first. */
  versions: SlackMessage[];
}

/** The path part of the sandbox's incoming-webhook URL. A real one's last part is its secret. */
export const SLACK_WEBHOOK_PATH = '/services/T0SANDBOX/B0SANDBOX/sandbox-webhook';

interface Button {
  action_id: string;
  value?: string;
  url?: string;
}

/**
 * Slack, as rotad uses it:
 * - an incoming webhook (api.slack.com/messaging/webhooks): POST JSON with `text` (and `blocks`),
 *   answered 200 "ok"; an unknown URL 404 "no_service", a message without text 400 "no_text";
 * - the Web API with a bot token (`Authorization: Bearer xoxb-…`), answered HTTP 200 with
 *   `{ ok: true, … }` or `{ ok: false, error }`: chat.postMessage (`channel`, `text`, `blocks` →
 *   `channel`, `ts`), chat.update (`channel`, `ts` → ok; `message_not_found`),
 *   usergroups.users.list (`usergroup` → `users`); `invalid_auth` for another token,
 *   `channel_not_found` for another channel;
 * - interactivity: `click` plays a person pressing a button: Slack POSTs the app's request URL a
 *   form `payload=<JSON>` (type block_actions, user, actions, response_url, the message) signed
 *   with the app's signing secret (X-Slack-Signature: v0= HMAC-SHA256 of `v0:<ts>:<body>`,
 *   X-Slack-Request-Timestamp); the response_url then takes `replace_original` (the message is
 *   replaced) or `response_type: ephemeral` (a note only the clicker sees).
 */
export class SlackServer extends SaasServer {
  readonly messages: SlackMessage[] = [];
  readonly posted: BotMessage[] = [];
  /** Notes only the clicker saw (ephemeral answers), by user. */
  readonly ephemeral: Array<{ user: string; text: string }> = [];
  readonly groups = new Map<string, string[]>();
  onMessage: ((message: SlackMessage) => void) | undefined;
  #responseUrls = new Map<string, { ts: string; user: string }>();

  constructor(
    readonly botToken = 'xoxb-stand-in-bot-token',
    readonly channel = 'C0STANDIN1',
    readonly signingSecret = 'stand-in-signing-secret',
  ) {
    super();
  }

  get webhookUrl(): string {
    return `${this.url}${SLACK_WEBHOOK_PATH}`;
  }

  get apiUrl(): string {
    return `${this.url}/api`;
  }

  protected admin(): Reply {
    return { status: 200, body: this.messages };
  }

  /** The buttons a message shows now. */
  buttonsOf(message: SlackMessage): Button[] {
    const actions = (message.blocks as Array<{ type?: string; elements?: Button[] }>).find((b) => b.type === 'actions');
    return actions?.elements ?? [];
  }

  /** The signed request Slack sends when `user` presses the button `actionId` of `message` (not sent: see `click`). */
  interaction(message: BotMessage, actionId: string, user: string, at = Math.floor(Date.now() / 1000)): { body: string; headers: Record<string, string> } {
    const button = this.buttonsOf(message).find((b) => b.action_id === actionId);
    if (!button)
      throw new Error(
        `the message has no button ${actionId} (it has ${
          this.buttonsOf(message)
            .map((b) => b.action_id)
            .join(', ') || 'none'
        })`,
      );
    const responseId = `${this.#responseUrls.size + 1}`;
    this.#responseUrls.set(responseId, { ts: message.ts, user });
    const payload = {
      type: 'block_actions',
      user: { id: user, username: user.toLowerCase() },
      api_app_id: 'A0STANDIN',
      container: { type: 'message', message_ts: message.ts, channel_id: message.channel },
      channel: { id: message.channel },
      message: { ts: message.ts, text: message.text, blocks: message.blocks },
      response_url: `${this.url}/actions/${responseId}`,
      trigger_id: `trigger-${responseId}`,
      actions: [{ type: 'button', action_id: button.action_id, block_id: 'rotad_actions', value: button.value, action_ts: String(at) }],
    };
    const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
    const signature = `v0=${createHmac('sha256', this.signingSecret).update(`v0:${at}:${body}`).digest('hex')}`;
    return { body, headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-slack-request-timestamp': String(at), 'x-slack-signature': signature } };
  }

  /** Sends the interaction to rotad's request URL, as Slack does; returns rotad's answer status. */
  async click(requestUrl: string, request: { body: string; headers: Record<string, string> }): Promise<number> {
    const response = await fetch(requestUrl, { method: 'POST', headers: request.headers, body: request.body });
    await response.text();
    return response.status;
  }

  protected handle(request: Request): Reply {
    if (request.path === SLACK_WEBHOOK_PATH) return this.#webhook(request);
    if (request.path.startsWith('/actions/')) return this.#responseUrl(request);
    if (request.path.startsWith('/api/')) return this.#webApi(request);
    return { status: 404, body: 'no_service' };
  }

  #webhook(request: Request): Reply {
    if (request.method !== 'POST') return { status: 404, body: 'no_service' };
    const { text, blocks } = (request.body ?? {}) as { text?: unknown; blocks?: unknown };
    if (typeof text !== 'string' || text === '') return { status: 400, body: 'no_text' };
    const message = { text, blocks: Array.isArray(blocks) ? blocks : [] };
    this.messages.push(message);
    this.onMessage?.(message);
    return { status: 200, body: 'ok' };
  }

  #webApi(request: Request): Reply {
    const answer = (body: Record<string, unknown>): Reply => ({ status: 200, body });
    if (request.headers.authorization !== `Bearer ${this.botToken}`) return answer({ ok: false, error: 'invalid_auth' });
    const body = (request.body ?? {}) as Record<string, unknown>;
    const method = request.path.slice('/api/'.length);
    if (method === 'chat.postMessage') {
      if (body.channel !== this.channel) return answer({ ok: false, error: 'channel_not_found' });
      if (typeof body.text !== 'string' || body.text === '') return answer({ ok: false, error: 'no_text' });
      const ts = `${Math.floor(Date.now() / 1000)}.${String(this.posted.length + 1).padStart(6, '0')}`;
      const message: BotMessage = { channel: this.channel, ts, text: body.text, blocks: Array.isArray(body.blocks) ? body.blocks : [], versions: [] };
      this.posted.push(message);
      return answer({ ok: true, channel: this.channel, ts, message: { text: message.text } });
    }
    if (method === 'chat.update') {
      const message = this.posted.find((m) => m.channel === body.channel && m.ts === body.ts);
      if (!message) return answer({ ok: false, error: 'message_not_found' });
      this.#replace(message, { text: String(body.text ?? message.text), blocks: Array.isArray(body.blocks) ? body.blocks : message.blocks });
      return answer({ ok: true, channel: message.channel, ts: message.ts });
    }
    if (method === 'usergroups.users.list') {
      const users = this.groups.get(String(body.usergroup));
      return users ? answer({ ok: true, users }) : answer({ ok: false, error: 'no_such_subteam' });
    }
    return answer({ ok: false, error: 'unknown_method' });
  }

  #responseUrl(request: Request): Reply {
    const use = this.#responseUrls.get(request.path.slice('/actions/'.length));
    if (!use || request.method !== 'POST') return { status: 404, body: 'no_service' };
    const body = (request.body ?? {}) as { replace_original?: unknown; response_type?: unknown; text?: unknown; blocks?: unknown };
    if (body.response_type === 'ephemeral') {
      this.ephemeral.push({ user: use.user, text: String(body.text) });
      return { status: 200, body: 'ok' };
    }
    const message = this.posted.find((m) => m.ts === use.ts);
    if (!message || body.replace_original !== true) return { status: 400, body: 'invalid_payload' };
    this.#replace(message, { text: String(body.text ?? message.text), blocks: Array.isArray(body.blocks) ? body.blocks : message.blocks });
    return { status: 200, body: 'ok' };
  }

  #replace(message: BotMessage, next: SlackMessage): void {
    message.versions.push({ text: message.text, blocks: message.blocks });
    message.text = next.text;
    message.blocks = next.blocks;
  }
}
