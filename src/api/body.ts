import type { z } from 'zod';
import { RotadError } from '../errors.js';

/**
 * A request body checked against its zod schema, as the config is. The message names the fields
 * and what was expected, never the value sent (it may be a token).
 */
export function parseBody<T extends z.ZodType>(schema: T, body: unknown): z.infer<T> {
  const result = schema.safeParse(body ?? {});
  if (result.success) return result.data;
  const problems = result.error.issues.map(
    (issue) =>
      `${issue.path.length > 0 ? issue.path.join('.') : 'body'}: ${issue.code === 'unrecognized_keys' ? `unknown field(s) ${(issue as { keys: string[] }).keys.join(', ')}` : issue.message}`,
  );
  throw new RotadError('REQUEST_INVALID', `invalid request body: ${problems.join('; ')}`);
}
