import { createHmac, timingSafeEqual } from 'node:crypto';
import { RotadError } from '../errors.js';
import { jsonRequest, NetworkError } from '../http/json-request.js';

/**
 * Slack, as rotad's interactive messages use it: the Web API with a bot token (chat.postMessage,
 * chat.update, usergroups.users.list; answers are HTTP 200 with `ok: false` and an `error` name on
 * failure, or 429 with Retry-After), the `response_url` of an interaction, and Slack's request
 * signing (`v0=` HMAC-SHA256 of `v0:<timestamp>:<raw body>` under the app's signing secret).
 */

const TIMEOUT_MS = 10_000;
/** Slack's own rule: a request whose timestamp is more than five minutes off is refused (a replay). */
const SLACK_TIMESTAMP_SKEW_S = 300;

/** Whether a request came from Slack: its timestamp within five minutes of `nowS`, its signature that of the raw body; compared in constant time. */
export function slackSignatureValid(
  signingSecret: string,
  headers: { timestamp: string | undefined; signature: string | undefined },
  rawBody: string,
  nowS: number,
): 'valid' | 'stale' | 'forged' {
  const { timestamp, signature } = headers;
  if (timestamp === undefined || signature === undefined || !/^\d{1,12}$/.test(timestamp)) return 'forged';
  if (Math.abs(nowS - Number(timestamp)) > SLACK_TIMESTAMP_SKEW_S) return 'stale';
  const expected = Buffer.from(`v0=${createHmac('sha256', signingSecret).update(`v0:${timestamp}:${rawBody}`).digest('hex')}`);
  const given = Buffer.from(signature);
  return given.length === expected.length && timingSafeEqual(given, expected) ? 'valid' : 'forged';
}

/** A posted message: where it is, to update it later. */
export interface PostedMessage {
  channel: string;
  ts: string;
}

/** The Slack Web API with a bot token. Errors say which method and which Slack error, never the token. */
export class SlackWebApi {
  constructor(
    private readonly apiUrl: string,
    private readonly token: () => string,
    private readonly timeoutMs = TIMEOUT_MS,
  ) {}

  async #call(method: string, body: Record<string, unknown>): Promise<Record<string, unknown>> {
    const url = new URL(`${this.apiUrl.replace(/\/+$/, '')}/${method}`);
    let response;
    try {
      response = await jsonRequest({
        method: 'POST',
        url,
        body,
        headers: { authorization: `Bearer ${this.token()}`, 'content-type': 'application/json; charset=utf-8' },
        timeoutMs: this.timeoutMs,
      });
    } catch (error) {
      const reason = error instanceof NetworkError ? error.reason : String(error);
      throw new RotadError('NOTIFIER_FAILED', `Slack ${method} at ${url.origin}: ${reason}`, { retryable: true });
    }
    if (response.status === 408 || response.status === 429 || response.status >= 500)
      throw new RotadError('NOTIFIER_FAILED', `Slack ${method} answered ${response.status}`, { retryable: true });
    if (response.body === undefined || response.malformed)
      throw new RotadError('NOTIFIER_FAILED', `Slack ${method} answered ${response.status} with no JSON (a proxy in between?)`, { retryable: true });
    const answer = response.body as Record<string, unknown>;
    if (answer.ok !== true) {
      const error = String(answer.error ?? `HTTP ${response.status}`);
      // Slack's own words for what to fix: invalid_auth, not_in_channel, channel_not_found, missing_scope…
      if (error === 'ratelimited' || error === 'internal_error' || error === 'service_unavailable' || error === 'fatal_error')
        throw new RotadError('NOTIFIER_FAILED', `Slack ${method}: ${error}`, { retryable: true });
      throw new RotadError('NOTIFIER_REFUSED', `Slack ${method}: ${error}`);
    }
    return answer;
  }

  async postMessage(channel: string, message: { text: string; blocks: unknown[] }): Promise<PostedMessage> {
    const answer = await this.#call('chat.postMessage', { channel, ...message, unfurl_links: false });
    return { channel: String(answer.channel ?? channel), ts: String(answer.ts) };
  }

  async update(posted: PostedMessage, message: { text: string; blocks: unknown[] }): Promise<void> {
    await this.#call('chat.update', { channel: posted.channel, ts: posted.ts, ...message });
  }

  /** The members of a user group (`S…`). */
  async groupMembers(usergroup: string): Promise<string[]> {
    const answer = await this.#call('usergroups.users.list', { usergroup });
    return Array.isArray(answer.users) ? answer.users.map(String) : [];
  }
}

/** Replaces the message an interaction came from, through its response_url (valid for 30 minutes, 5 uses). */
export async function replaceOriginal(responseUrl: string, message: { text: string; blocks: unknown[] }): Promise<void> {
  const url = new URL(responseUrl);
  const response = await jsonRequest({ method: 'POST', url, body: { replace_original: true, ...message }, timeoutMs: TIMEOUT_MS });
  if (response.status < 200 || response.status >= 300)
    throw new RotadError('NOTIFIER_FAILED', `Slack's response_url answered ${response.status}`, { retryable: true });
}

/** Answers only the person who clicked (an ephemeral message), through the interaction's response_url. */
export async function tellClicker(responseUrl: string, text: string): Promise<void> {
  const url = new URL(responseUrl);
  await jsonRequest({ method: 'POST', url, body: { response_type: 'ephemeral', replace_original: false, text }, timeoutMs: TIMEOUT_MS });
}
