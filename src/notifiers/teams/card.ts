import { ACTION_EVENTS, HEADLINES } from '../common.js';
import type { RotationEvent } from '../types.js';

const iso = (ms: number | undefined): string | undefined => (ms === undefined ? undefined : `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`);

/**
 * The message a Teams Workflows webhook takes: one Adaptive Card (1.4, the version Teams renders
 * in channels and chats) with the headline, what happened and what to do line by line, the facts,
 * and a button to the hand-over page when the event carries one.
 */
export function teamsMessage(event: RotationEvent): Record<string, unknown> {
  const urgent = ACTION_EVENTS.has(event.type);
  const facts = [
    ['Policy', event.policy],
    ['Incident', event.incident && `${event.incident.reason} (asked by ${event.incident.actor})`],
    ['Please act by', iso(event.deadline)],
    ['Expires', iso(event.expiresAt)],
    ['Error code', event.code],
    ['Phase', event.phase],
    ['Rotation', event.rotationId],
  ].filter((fact): fact is [string, string] => fact[1] !== undefined);
  const lines = event.message.split('\n').filter((line) => line.trim() !== '');
  return {
    type: 'message',
    attachments: [
      {
        contentType: 'application/vnd.microsoft.card.adaptive',
        contentUrl: null,
        content: {
          $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
          type: 'AdaptiveCard',
          version: '1.4',
          msteams: { width: 'Full' },
          body: [
            {
              type: 'TextBlock',
              text: `${HEADLINES[event.type]}: ${event.policy}`,
              weight: 'Bolder',
              size: 'Medium',
              wrap: true,
              ...(urgent && { color: 'Attention' }),
            },
            ...lines.map((text, i) => ({ type: 'TextBlock', text, wrap: true, ...(i > 0 && { spacing: 'Small' }) })),
            { type: 'FactSet', facts: facts.map(([title, value]) => ({ title, value })) },
          ],
          ...(event.handoverUrl && { actions: [{ type: 'Action.OpenUrl', title: 'Open the one-time hand-over page', url: event.handoverUrl }] }),
        },
      },
    ],
  };
}
