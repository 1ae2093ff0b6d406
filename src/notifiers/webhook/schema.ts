import { z } from 'zod';
import { DurationText } from '../../duration-text.js';
import { NotifierCommon } from '../common.js';
import { EnvName } from '../../env-name.js';

/** Options of the `webhook` notifier: a signed JSON event per POST. */
export const WebhookNotifierOptions = z.strictObject({
  type: z.literal('webhook'),
  /** Receiver URL (http:// or https://). */
  url: z.url({ protocol: /^https?$/ }),
  /** Environment variable holding the HMAC signing secret. Default: ROTAD_WEBHOOK_SECRET. */
  secretEnv: EnvName.default('ROTAD_WEBHOOK_SECRET'),
  /** Per request. Default: 10s. */
  timeout: DurationText.default('10s'),
  ...NotifierCommon,
});
export type WebhookNotifierOptions = z.infer<typeof WebhookNotifierOptions>;
