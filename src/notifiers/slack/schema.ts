import { z } from 'zod';
import { DurationText } from '../../duration-text.js';
import { NotifierCommon } from '../common.js';
import { EnvName } from '../../env-name.js';

/** Options of the `slack` notifier: a Slack incoming webhook. */
export const SlackNotifierOptions = z.strictObject({
  type: z.literal('slack'),
  /** Environment variable holding the incoming-webhook URL (the URL is a secret). Default: SLACK_WEBHOOK_URL. */
  webhookUrlEnv: EnvName.default('SLACK_WEBHOOK_URL'),
  /** Per request. Default: 10s. */
  timeout: DurationText.default('10s'),
  ...NotifierCommon,
});
export type SlackNotifierOptions = z.infer<typeof SlackNotifierOptions>;
