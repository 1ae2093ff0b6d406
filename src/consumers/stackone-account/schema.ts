import { z } from 'zod';
import { DurationText } from '../../duration-text.js';
import { BaseUrl } from '../../http/dns-label.js';
import { EnvName } from '../../env-name.js';

/** Options of the `stackone-account` consumer: updates a StackOne linked account's credentials. */
export const StackOneAccountConsumerOptions = z.strictObject({
  type: z.literal('stackone-account'),
  /** The linked account's id. */
  accountId: z.string().regex(/^[A-Za-z0-9_-]{1,128}$/, { error: 'expected a StackOne account id' }),
  /** Environment variable holding the StackOne API key (a secret). Default: STACKONE_API_KEY. */
  apiKeyEnv: EnvName.default('STACKONE_API_KEY'),
  /** Field of `credentials` that receives the new secret. StackOne does not document Gladly's names. Default: api_token. */
  secretField: z.string().min(1).default('api_token'),
  /** Other (non-secret) credential fields sent with it, e.g. { organization_slug: acme, agent_email: api@acme.com }. */
  credentials: z.record(z.string(), z.string()).default({}),
  /** Default: https://api.stackone.com. */
  baseUrl: BaseUrl.default('https://api.stackone.com'),
  /** Per request. Default: 10s. */
  timeout: DurationText.default('10s'),
});
export type StackOneAccountConsumerOptions = z.infer<typeof StackOneAccountConsumerOptions>;
