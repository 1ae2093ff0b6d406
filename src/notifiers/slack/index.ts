import type { AdapterDefinition } from '../../adapters/definition.js';
import { durationMs } from '../../duration-text.js';
import { registerSecretValue } from '../../secret.js';
import { SlackWebApi, type PostedMessage } from '../../vendors/slack.js';
import { HEADLINES } from '../common.js';
import { wants } from '../delivery.js';
import { postJson, secretFrom } from '../http-post.js';
import type { Notifier, RotationEvent } from '../types.js';
import { ACTIONS_BLOCK, ENDING_EVENTS, withLine } from './buttons.js';
import { slackMessage } from './message.js';
import { SlackNotifierOptions } from './schema.js';

/** Messages with buttons remembered per rotation (the oldest forgotten first): their buttons go when the rotation's request ends. */
const TRACKED_ROTATIONS = 1_000;

type Message = { text: string; blocks: unknown[] };

function webhookNotifier(options: SlackNotifierOptions, timeoutMs: number): Notifier {
  return {
    notify: async (event) => {
      const url = secretFrom(options.webhookUrlEnv, () => undefined, 'the Slack webhook URL');
      registerSecretValue(url);
      await postJson(url, slackMessage(event), {}, timeoutMs);
    },
  };
}

/**
 * Bot mode: chat.postMessage with buttons (docs/chat-ops.md); the messages of a rotation's requests
 * are remembered, and when the rotation's request ends (completed, rolled back, withdrawn, the old
 * token confirmed deleted) they are updated in place without their buttons. Events its `events`
 * filter leaves out are seen only for that.
 */
function botNotifier(options: SlackNotifierOptions & { botTokenEnv: string; channel: string }, timeoutMs: number): Notifier {
  const token = (): string => {
    const value = secretFrom(options.botTokenEnv, () => undefined, 'the Slack bot token');
    registerSecretValue(value);
    return value;
  };
  const api = new SlackWebApi(options.apiUrl, token, timeoutMs);
  const tracked = new Map<string, Array<{ posted: PostedMessage; message: Message }>>();
  const keyOf = (event: RotationEvent): string => `${event.policy}\u0000${event.rotationId ?? ''}`;
  return {
    sees: (event) => ENDING_EVENTS.has(event.type) && tracked.has(keyOf(event)),
    notify: async (event) => {
      const key = keyOf(event);
      if (ENDING_EVENTS.has(event.type)) {
        const ending = `:white_check_mark: ${HEADLINES[event.type]} (${new Date(event.at).toISOString().slice(0, 16).replace('T', ' ')} UTC): nothing more to do here.`;
        for (const { posted, message } of tracked.get(key) ?? []) await api.update(posted, withLine(message, ending, false));
        tracked.delete(key);
      }
      if (!wants(options.events, event.type)) return;
      const message = slackMessage(event, true);
      const posted = await api.postMessage(options.channel, message);
      if ((message.blocks as Array<{ block_id?: string }>).some((b) => b.block_id === ACTIONS_BLOCK)) {
        tracked.set(key, [...(tracked.get(key) ?? []), { posted, message }]);
        if (tracked.size > TRACKED_ROTATIONS) tracked.delete(tracked.keys().next().value!);
      }
    },
  };
}

function createSlackNotifier(options: SlackNotifierOptions): Notifier {
  const timeoutMs = durationMs(options.timeout);
  return options.botTokenEnv !== undefined && options.channel !== undefined
    ? botNotifier({ ...options, botTokenEnv: options.botTokenEnv, channel: options.channel }, timeoutMs)
    : webhookNotifier(options, timeoutMs);
}

export const slackNotifier = {
  type: 'slack',
  schema: SlackNotifierOptions,
  create: createSlackNotifier,
  requiredEnv: (options) =>
    options.botTokenEnv !== undefined
      ? [{ key: ['botTokenEnv'], name: options.botTokenEnv, what: 'the Slack bot token (xoxb-…)' }]
      : [{ key: ['webhookUrlEnv'], name: options.webhookUrlEnv, what: 'the Slack incoming-webhook URL' }],
} satisfies AdapterDefinition<typeof SlackNotifierOptions, Notifier>;
