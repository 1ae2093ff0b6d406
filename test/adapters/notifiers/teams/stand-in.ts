import { SaasServer, type Reply, type Request } from '../../../servers/saas/base.js';

/** The Adaptive Card of one message a flow received. */
export interface TeamsCard {
  version: string;
  body: Array<Record<string, unknown>>;
  actions?: Array<{ type: string; title: string; url: string }>;
}

/** The path of the stand-in's flow URL; a real one carries a signature (`sig=`) that makes it a secret. */
export const TEAMS_FLOW_PATH = '/workflows/8f2c/triggers/manual/paths/invoke';

/**
 * A Microsoft Teams Workflows webhook ("When a Teams webhook request is received", then "Post card
 * in a chat or channel"): POST JSON `{ type: "message", attachments: [{ contentType:
 * "application/vnd.microsoft.card.adaptive", content: <Adaptive Card> }] }` to the flow's URL,
 * answered 202 Accepted. The card must be `type: AdaptiveCard` with a version Teams renders (up to
 * 1.5) and a body; an Action.OpenUrl needs a title and an absolute URL. Anything else is 400; an
 * unknown flow URL 404 (a deleted flow).
 */
export class TeamsServer extends SaasServer {
  readonly cards: TeamsCard[] = [];

  get flowUrl(): string {
    return `${this.url}${TEAMS_FLOW_PATH}?api-version=1&sig=stand-in-signature`;
  }

  protected admin(): Reply {
    return { status: 200, body: this.cards };
  }

  protected handle(request: Request): Reply {
    if (request.method !== 'POST' || request.path !== TEAMS_FLOW_PATH) return { status: 404, body: { error: { code: 'WorkflowNotFound' } } };
    const refuse = (message: string): Reply => ({ status: 400, body: { error: { code: 'InvalidRequestContent', message } } });
    const body = (request.body ?? {}) as { type?: unknown; attachments?: unknown };
    if (body.type !== 'message' || !Array.isArray(body.attachments) || body.attachments.length === 0) return refuse('expected type message with attachments');
    const attachment = body.attachments[0] as { contentType?: unknown; content?: unknown };
    if (attachment.contentType !== 'application/vnd.microsoft.card.adaptive') return refuse('the attachment is not an Adaptive Card');
    const card = (attachment.content ?? {}) as Record<string, unknown>;
    if (card.type !== 'AdaptiveCard') return refuse('content.type must be AdaptiveCard');
    if (typeof card.version !== 'string' || !/^1\.[0-5]$/.test(card.version)) return refuse('content.version must be 1.0 to 1.5');
    if (!Array.isArray(card.body) || card.body.length === 0) return refuse('content.body is empty');
    for (const element of card.body as Array<Record<string, unknown>>) {
      if (element.type === 'TextBlock' && typeof element.text !== 'string') return refuse('a TextBlock without text');
      if (element.type === 'FactSet' && !Array.isArray(element.facts)) return refuse('a FactSet without facts');
    }
    const actions = (card.actions ?? []) as Array<Record<string, unknown>>;
    for (const action of actions) {
      if (action.type !== 'Action.OpenUrl' || typeof action.title !== 'string' || !/^https?:\/\//.test(String(action.url)))
        return refuse('an action is not a valid Action.OpenUrl');
    }
    this.cards.push(card as unknown as TeamsCard);
    return { status: 202, body: '' };
  }
}
