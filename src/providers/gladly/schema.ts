import { z } from 'zod';
import { DurationText } from '../../duration-text.js';
import { BaseUrl, DnsLabel } from '../dns-label.js';

/** Options of the `gladly` provider: the API token of one Gladly API user, rotated with a person's help. */
export const GladlyProviderOptions = z.strictObject({
  type: z.literal('gladly'),
  /** The organization: `{organization}.gladly.com` (production) or `.gladly.qa` (sandbox). */
  organization: DnsLabel,
  /** Default: production. A token works only in the environment it was made in. */
  environment: z.enum(['production', 'sandbox']).default('production'),
  /** The API user's email (the Basic-auth username); the person signs in as this user. */
  email: z.email({ error: "expected the API user's email address" }),
  /** Where the API is called (tests, proxies). Default: the organization's host. */
  baseUrl: BaseUrl.optional(),
  /** Per request. Default: 10s. */
  timeout: DurationText.default('10s'),
});
export type GladlyProviderOptions = z.infer<typeof GladlyProviderOptions>;
