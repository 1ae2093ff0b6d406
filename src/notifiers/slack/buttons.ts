import type { RotationEvent } from '../types.js';

/** The buttons of rotad's interactive Slack messages, by action_id. The control API's /v1/slack/interactions acts on them. */
export const SLACK_ACTIONS = {
  rotad_open: 'open the hand-over page',
  rotad_remind: 'remind me in 4 h',
  rotad_deleted: 'I deleted it',
  rotad_rotate: 'rotate now',
  rotad_rollback: 'roll back',
} as const;
export type SlackActionId = keyof typeof SLACK_ACTIONS;

/** What a button is about: the policy and the rotation (a click on a finished one is answered as such). */
export interface ButtonValue {
  policy: string;
  rotationId: string;
}

const button = (actionId: SlackActionId, text: string, value: ButtonValue, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  type: 'button',
  action_id: actionId,
  text: { type: 'plain_text', text },
  value: JSON.stringify(value),
  ...extra,
});

/** The block id of the buttons, so that an update can take them away. */
export const ACTIONS_BLOCK = 'rotad_actions';

/**
 * The buttons an event's message carries: a request for a token gets the hand-over page and
 * "Remind me in 4 h"; a request to delete the old token "I deleted it" (rotad checks at once) and
 * the reminder; a stopped rotation "Rotate now" and "Roll back", each behind Slack's confirmation.
 */
export function buttonsFor(event: RotationEvent): Record<string, unknown> | undefined {
  if (event.rotationId === undefined) return undefined;
  const value = { policy: event.policy, rotationId: event.rotationId };
  let elements: Array<Record<string, unknown>> = [];
  if (event.type === 'action-required' || event.type === 'action-overdue') {
    elements =
      event.phase === 'revoke'
        ? [button('rotad_deleted', 'I deleted it', value, { style: 'primary' }), button('rotad_remind', 'Remind me in 4 h', value)]
        : [
            ...(event.handoverUrl
              ? [
                  {
                    type: 'button',
                    action_id: 'rotad_open',
                    text: { type: 'plain_text', text: 'Open the hand-over page' },
                    url: event.handoverUrl,
                    style: 'primary',
                  },
                ]
              : []),
            button('rotad_remind', 'Remind me in 4 h', value),
          ];
  } else if (event.type === 'needs-attention') {
    const confirm = (title: string, text: string, yes: string) => ({
      confirm: {
        title: { type: 'plain_text', text: title },
        text: { type: 'mrkdwn', text },
        confirm: { type: 'plain_text', text: yes },
        deny: { type: 'plain_text', text: 'Cancel' },
      },
    });
    elements = [
      button('rotad_rotate', 'Rotate now', value, {
        style: 'primary',
        ...confirm('Rotate now?', `rotad resumes the stopped rotation of *${event.policy}* (fix the cause first).`, 'Rotate now'),
      }),
      button('rotad_rollback', 'Roll back', value, {
        style: 'danger',
        ...confirm('Roll back?', `rotad abandons the rotation of *${event.policy}*, or makes the previous credential current again.`, 'Roll back'),
      }),
    ];
  }
  return elements.length > 0 ? { type: 'actions', block_id: ACTIONS_BLOCK, elements } : undefined;
}

/** Events that end what a message with buttons asked for: its buttons go, and it says so. */
export const ENDING_EVENTS: ReadonlySet<RotationEvent['type']> = new Set([
  'rotation-succeeded',
  'rotation-rolled-back',
  'rotation-aborted',
  'request-withdrawn',
  'revocation-confirmed',
]);

/** A message with a last line added (what happened, who did it); its buttons kept, or taken away when nothing is left to press. */
export function withLine(message: { text: string; blocks: unknown[] }, line: string, keepButtons: boolean): { text: string; blocks: unknown[] } {
  const blocks = (message.blocks as Array<{ block_id?: string }>).filter((b) => keepButtons || b.block_id !== ACTIONS_BLOCK);
  return { text: message.text, blocks: [...blocks, { type: 'context', elements: [{ type: 'mrkdwn', text: line }] }] };
}
