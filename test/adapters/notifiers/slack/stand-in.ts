import { SaasServer, type Reply, type Request } from '../../../servers/saas/base.js';

/** One message posted to the incoming webhook: its fallback text (which carries the hand-over link) and its blocks. */
export interface SlackMessage {
  text: string;
  blocks: unknown[];
}

/** The path part of the sandbox's incoming-webhook URL. A real one's last part is its secret. */
export const SLACK_WEBHOOK_PATH = '/services/T0SANDBOX/B0SANDBOX/sandbox-webhook';

/**
 * A Slack incoming webhook (https://api.slack.com/messaging/webhooks): POST JSON with `text` (and
 * optionally `blocks`) to the webhook's URL, answered 200 "ok"; an unknown URL 404 "no_service",
 * a message without text 400 "no_text". `onMessage` sees each message as it arrives.
 */
export class SlackServer extends SaasServer {
  readonly messages: SlackMessage[] = [];
  onMessage: ((message: SlackMessage) => void) | undefined;

  get webhookUrl(): string {
    return `${this.url}${SLACK_WEBHOOK_PATH}`;
  }

  protected admin(): Reply {
    return { status: 200, body: this.messages };
  }

  protected handle(request: Request): Reply {
    if (request.method !== 'POST' || request.path !== SLACK_WEBHOOK_PATH) return { status: 404, body: 'no_service' };
    const { text, blocks } = (request.body ?? {}) as { text?: unknown; blocks?: unknown };
    if (typeof text !== 'string' || text === '') return { status: 400, body: 'no_text' };
    const message = { text, blocks: Array.isArray(blocks) ? blocks : [] };
    this.messages.push(message);
    this.onMessage?.(message);
    return { status: 200, body: 'ok' };
  }
}
