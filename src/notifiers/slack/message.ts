import { ACTION_EVENTS, HEADLINES } from '../common.js';
import type { RotationEvent } from '../types.js';
import { buttonsFor } from './buttons.js';

/** A readable Slack message: headline, what happened, what to do, the facts, and (a bot's message, `interactive`) the buttons. */
export function slackMessage(event: RotationEvent, interactive = false): { text: string; blocks: unknown[] } {
  const buttons = interactive ? buttonsFor(event) : undefined;
  const icon = ACTION_EVENTS.has(event.type) ? ':rotating_light:' : ':white_check_mark:';
  const headline = `${icon} ${HEADLINES[event.type]}: \`${event.policy}\``;
  const facts = [
    event.rotationId && `*Rotation:* \`${event.rotationId}\``,
    event.phase && `*Phase:* ${event.phase}`,
    event.code && `*Code:* \`${event.code}\``,
    event.expiresAt !== undefined && `*Expires:* ${new Date(event.expiresAt).toISOString()}`,
    event.threshold && `*Threshold:* ${event.threshold}`,
  ].filter(Boolean) as string[];
  return {
    // The notification text (and what a client without blocks shows) carries the link too.
    text: `${headline} — ${event.message}${event.handoverUrl ? `\nHand-over page: ${event.handoverUrl}` : ''}`,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: `*${headline}*\n${event.message}` } },
      ...(event.handoverUrl && !buttons
        ? [{ type: 'section', text: { type: 'mrkdwn', text: `<${event.handoverUrl}|Open the one-time hand-over page>` } }]
        : []),
      ...(facts.length > 0 ? [{ type: 'context', elements: facts.map((text) => ({ type: 'mrkdwn', text })) }] : []),
      ...(buttons ? [buttons] : []),
    ],
  };
}
