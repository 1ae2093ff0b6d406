import { z } from 'zod';
import { NotifierCommon } from '../common.js';

/** Options of the `log` notifier: events as log lines with `event` set, for log-based alerting. */
export const LogNotifierOptions = z.strictObject({
  type: z.literal('log'),
  ...NotifierCommon,
});
export type LogNotifierOptions = z.infer<typeof LogNotifierOptions>;
