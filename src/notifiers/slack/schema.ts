import { z } from 'zod';
import { DurationText } from '../../duration-text.js';
import { NotifierCommon } from '../common.js';
import { EnvName } from '../../env-name.js';

/**
 * Options of the `slack` notifier: an incoming webhook (read-only messages), or a Slack app's bot
 * token and a channel (messages with buttons, updated in place; docs/chat-ops.md).
 */
export const SlackNotifierOptions = z
  .strictObject({
    type: z.literal('slack'),
    /** Environment variable holding the incoming-webhook URL (the URL is a secret). Default: SLACK_WEBHOOK_URL. Unused with botTokenEnv. */
    webhookUrlEnv: EnvName.default('SLACK_WEBHOOK_URL'),
    /** Environment variable holding the app's bot token (xoxb-…): messages go out with chat.postMessage, with buttons. */
    botTokenEnv: EnvName.optional(),
    /** The channel (its id, C…) the bot posts to; required with botTokenEnv. */
    channel: z
      .string()
      .regex(/^[A-Z0-9]{8,}$/, { error: 'give the channel id (C…, from the channel details), not its name' })
      .optional(),
    /** Slack's Web API. Default: https://slack.com/api. */
    apiUrl: z.url({ protocol: /^https?$/ }).default('https://slack.com/api'),
    /** Per request. Default: 10s. */
    timeout: DurationText.default('10s'),
    ...NotifierCommon,
  })
  .refine((o) => (o.botTokenEnv === undefined) === (o.channel === undefined), {
    error: 'botTokenEnv and channel go together (bot mode), or neither (webhook mode)',
  });
export type SlackNotifierOptions = z.infer<typeof SlackNotifierOptions>;
