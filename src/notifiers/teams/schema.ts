import { z } from 'zod';
import { DurationText } from '../../duration-text.js';
import { EnvName } from '../../env-name.js';
import { NotifierCommon } from '../common.js';

/** Options of the `teams` notifier: a Microsoft Teams channel or chat, through a Workflows webhook. */
export const TeamsNotifierOptions = z.strictObject({
  type: z.literal('teams'),
  /** Environment variable holding the Workflows webhook URL ("When a Teams webhook request is received"; the URL is a secret). Default: TEAMS_WEBHOOK_URL. */
  webhookUrlEnv: EnvName.default('TEAMS_WEBHOOK_URL'),
  /** Per request. Default: 10s. */
  timeout: DurationText.default('10s'),
  ...NotifierCommon,
});
export type TeamsNotifierOptions = z.infer<typeof TeamsNotifierOptions>;
