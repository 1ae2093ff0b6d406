import { z } from 'zod';
import { DurationText } from '../../duration-text.js';
import { NotifierCommon } from '../common.js';
import { EnvName } from '../../env-name.js';

/** Options of the `email` notifier: plain-text mail over SMTP. */
export const EmailNotifierOptions = z.strictObject({
  type: z.literal('email'),
  /** SMTP server host. */
  host: z.string().min(1),
  /** Default: 587. */
  port: z.int().min(1).max(65535).default(587),
  /** TLS from the first byte (port 465); otherwise STARTTLS is used when the server offers it. Default: false. */
  secure: z.boolean().default(false),
  /** SMTP user; with it, the password comes from passwordEnv. */
  username: z.string().optional(),
  /** Environment variable holding the SMTP password. Default: ROTAD_SMTP_PASSWORD. */
  passwordEnv: EnvName.default('ROTAD_SMTP_PASSWORD'),
  from: z.string().min(3),
  to: z.array(z.string().min(3)).min(1),
  /** Per connection. Default: 15s. */
  timeout: DurationText.default('15s'),
  ...NotifierCommon,
});
export type EmailNotifierOptions = z.infer<typeof EmailNotifierOptions>;
