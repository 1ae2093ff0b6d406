import { z } from 'zod';
import { DurationText } from '../../duration-text.js';

/** Options of the `exec` consumer: runs a command that installs the new credential. */
export const ExecConsumerOptions = z.strictObject({
  type: z.literal('exec'),
  /** argv of the command, run without a shell, in the config file's directory (so relative paths are relative to it). */
  command: z.array(z.string().min(1)).min(1),
  /** How the secret reaches the command: on stdin, or in a 0600 temp file named by $ROTAD_SECRET_FILE. Default: stdin. */
  secretVia: z.enum(['stdin', 'file']).default('stdin'),
  /** Kill the command (SIGTERM, then SIGKILL) after this long. Default: 30s. */
  timeout: DurationText.default('30s'),
  /** Extra environment variables (non-secret). The daemon's own environment is not passed on. */
  env: z.record(z.string(), z.string()).default({}),
});
export type ExecConsumerOptions = z.infer<typeof ExecConsumerOptions>;
