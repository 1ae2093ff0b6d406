import { z } from 'zod';
import { DurationText } from '../../duration-text.js';
import { BaseUrl } from '../../http/dns-label.js';
import { stringsOf, templateProblem } from './template.js';
import { EnvName } from '../../env-name.js';

/** One templated request. `{{current}}`, `{{credential}}`, `{{credential.id}}`, `{{policy}}`, `{{rotationId}}`, `{{vars.X}}`. */
const RequestTemplate = z.strictObject({
  /** Default: GET for verify, POST for create, DELETE for revoke. */
  method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']).optional(),
  /** Absolute, or relative to baseUrl. No secrets in it. */
  url: z.string().min(1),
  headers: z.record(z.string(), z.string()).default({}),
  /** A JSON body; every string in it is a template. */
  body: z.record(z.string(), z.unknown()).optional(),
});
export type RequestTemplate = z.infer<typeof RequestTemplate>;

/** Options of the `http` provider: any SaaS with a token API, described by its requests. */
export const HttpProviderOptions = z
  .strictObject({
    type: z.literal('http'),
    /** Name used in messages, e.g. "Acme API". Default: the base URL's host. */
    name: z.string().optional(),
    /** Relative request URLs are resolved against this. */
    baseUrl: BaseUrl,
    /** Non-secret values the templates name as {{vars.X}}. */
    vars: z.record(z.string(), z.string()).default({}),
    /** Environment variable with the credential to create the first token with, when the store holds none yet. */
    bootstrapEnv: EnvName.optional(),
    /** Creates a token; usually authenticated with {{current}}. */
    create: RequestTemplate.extend({
      response: z.strictObject({
        /** Dot path of the new token in the JSON answer. */
        token: z.string().min(1),
        /** Dot path of its id (needed for revoke by id). */
        id: z.string().optional(),
        /** Dot path of its expiry (ISO 8601 or epoch seconds). */
        expiresAt: z.string().optional(),
      }),
    }),
    /** An authenticated read with {{credential}}: 2xx proves it works. */
    verify: RequestTemplate,
    /** Deletes {{credential}} / {{credential.id}}; 2xx or 404 is success. Without it the old token is left to expire. */
    revoke: RequestTemplate.optional(),
    /** Statuses of verify that mean "this credential is not accepted". Default: [401, 403]. */
    rejectedStatuses: z.array(z.int().min(400).max(499)).default([401, 403]),
    /** Per request. Default: 10s. */
    timeout: DurationText.default('10s'),
  })
  .superRefine((options, ctx) => {
    for (const key of ['create', 'verify', 'revoke'] as const) {
      const request = options[key];
      if (!request) continue;
      const checks: Array<[string, boolean, Array<string | number>]> = [
        [request.url, true, [key, 'url']],
        ...Object.entries(request.headers).map(([name, value]): [string, boolean, Array<string | number>] => [value, false, [key, 'headers', name]]),
        ...stringsOf(request.body).map((text): [string, boolean, Array<string | number>] => [text, false, [key, 'body']]),
      ];
      for (const [text, inUrl, path] of checks) {
        const problem = templateProblem(text, options.vars, inUrl);
        if (problem) ctx.addIssue({ code: 'custom', path, message: problem });
      }
    }
  });
export type HttpProviderOptions = z.infer<typeof HttpProviderOptions>;
