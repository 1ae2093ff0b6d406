import { z } from 'zod';
import { DurationText } from '../../duration-text.js';

/** Options of the `http` consumer: a request to a reload endpoint after each rotation. */
export const HttpConsumerOptions = z.strictObject({
  type: z.literal('http'),
  /** The endpoint to call, http:// or https://. */
  url: z.url({ protocol: /^https?$/, error: 'expected an http:// or https:// URL' }),
  /** Default: POST. */
  method: z.enum(['POST', 'PUT', 'PATCH', 'GET']).default('POST'),
  /** Extra request headers (non-secret). */
  headers: z.record(z.string(), z.string()).default({}),
  /** Abort the request after this long. Default: 10s. */
  timeout: DurationText.default('10s'),
  /**
   * Send the new secret in the JSON body as `secret`. Default: false — the body then carries only
   * the policy, rotation id and credential id, and the endpoint reads the secret from the store.
   */
  includeSecret: z.boolean().default(false),
});
export type HttpConsumerOptions = z.infer<typeof HttpConsumerOptions>;
