import { z } from 'zod';
import { DurationText } from '../../duration-text.js';
import { BaseUrl, DnsLabel } from '../../http/dns-label.js';

/** Options of the `gorgias` provider: a REST API key, reset by a person in Gorgias's UI. */
export const GorgiasProviderOptions = z
  .strictObject({
    type: z.literal('gorgias'),
    /** The account's subdomain: `{domain}.gorgias.com`. */
    domain: DnsLabel,
    /**
     * `single-user`: one user's key is reset in place (consumers fail until the new key is handed
     * over). `alternating-users`: two users; each rotation resets the key of the one not in use.
     * Default: single-user.
     */
    strategy: z.enum(['single-user', 'alternating-users']).default('single-user'),
    /** The user whose key is rotated (single-user). */
    email: z.email().optional(),
    /** The two users used in turn (alternating-users). */
    users: z.array(z.email()).optional(),
    /** Where the API is called (tests, proxies). Default: https://{domain}.gorgias.com. */
    baseUrl: BaseUrl.optional(),
    /** Per request. Default: 10s. */
    timeout: DurationText.default('10s'),
  })
  .superRefine((options, ctx) => {
    if (options.strategy === 'single-user') {
      if (options.email === undefined)
        ctx.addIssue({ code: 'custom', path: ['email'], message: 'strategy single-user needs email (the user whose key is reset)' });
      if (options.users !== undefined)
        ctx.addIssue({ code: 'custom', path: ['users'], message: 'users is for strategy alternating-users; single-user takes email' });
    } else {
      const users = options.users ?? [];
      if (users.length !== 2 || users[0]!.toLowerCase() === users[1]!.toLowerCase()) {
        ctx.addIssue({ code: 'custom', path: ['users'], message: 'strategy alternating-users needs users: two different email addresses' });
      }
      if (options.email !== undefined)
        ctx.addIssue({ code: 'custom', path: ['email'], message: 'email is for strategy single-user; alternating-users takes users' });
    }
  });
export type GorgiasProviderOptions = z.infer<typeof GorgiasProviderOptions>;
