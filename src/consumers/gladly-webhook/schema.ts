import { z } from 'zod';
import { DurationText } from '../../duration-text.js';
import { BaseUrl } from '../../http/dns-label.js';

/** Options of the `gladly-webhook` consumer: puts the new secret into a Gladly webhook. */
export const GladlyWebhookConsumerOptions = z
  .strictObject({
    type: z.literal('gladly-webhook'),
    /** The webhook's id in Gladly. */
    webhookId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, { error: 'expected a Gladly webhook id' }),
    /** Call Gladly as the API user of this `gladly` policy, with its current token. */
    auth: z.strictObject({ policy: z.string().min(1) }),
    /** `password`: the webhook's basic-auth password; `header`: the value of a request header. */
    set: z.enum(['password', 'header']),
    /** Basic-auth username sent with the password (set: password). */
    username: z.string().min(1).optional(),
    /** Header whose value is the secret (set: header), e.g. X-Webhook-Secret. */
    header: z
      .string()
      .regex(/^[A-Za-z0-9-]{1,64}$/, { error: 'expected an HTTP header name' })
      .optional(),
    /** Where the API is called (tests, proxies). Default: the auth policy's Gladly host or baseUrl. */
    baseUrl: BaseUrl.optional(),
    /** Per request. Default: 10s. */
    timeout: DurationText.default('10s'),
  })
  .superRefine((options, ctx) => {
    if (options.set === 'password' && options.username === undefined)
      ctx.addIssue({ code: 'custom', path: ['username'], message: "set: password needs username (the webhook's basic-auth user)" });
    if (options.set === 'header' && options.header === undefined)
      ctx.addIssue({ code: 'custom', path: ['header'], message: 'set: header needs header (the header name)' });
  });
export type GladlyWebhookConsumerOptions = z.infer<typeof GladlyWebhookConsumerOptions>;
