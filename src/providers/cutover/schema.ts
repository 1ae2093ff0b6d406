import { z } from 'zod';
import { DurationText } from '../../duration-text.js';
import { BaseUrl } from '../../http/dns-label.js';

/** Options of the `cutover` provider: a user app token, created by a person, deleted by rotad. */
export const CutoverProviderOptions = z.strictObject({
  type: z.literal('cutover'),
  /** The API host: https://api.cutover.net (shared tenants) or https://api.<instance>.cutover.com. Default: https://api.cutover.net. */
  baseUrl: BaseUrl.default('https://api.cutover.net'),
  /** Shared tenants: your instance, sent as the Core-Url header, e.g. https://acme.cutover.com. */
  coreUrl: BaseUrl.optional(),
  /** Where the person creates the token (the instance's web UI). Default: coreUrl, else baseUrl. */
  uiUrl: BaseUrl.optional(),
  /** Id of the (non-interactive) user that owns the token. */
  userId: z.union([z.string().regex(/^[0-9A-Za-z_-]{1,64}$/, { error: 'expected a user id' }), z.int().min(1)]).transform(String),
  /** The user's name or email, to tell the person whose tokens to open. */
  userName: z.string().min(1),
  /** Date-based API version sent as Api-Version, when set. */
  apiVersion: z.string().optional(),
  /** Per request. Default: 10s. */
  timeout: DurationText.default('10s'),
});
export type CutoverProviderOptions = z.infer<typeof CutoverProviderOptions>;
