import type { AdapterDeps } from '../../adapters/definition.js';
import { durationMs } from '../../duration-text.js';
import { call, failure, isRefused, send, type ApiTarget } from '../../http/api-call.js';
import type { StoredCredential } from '../../stores/types.js';
import type { Provider, ProviderContext, ProviderDefinition } from '../types.js';
import { TemplateRequests } from './requests.js';
import { HttpProviderOptions } from './schema.js';

function createHttpProvider(options: HttpProviderOptions, deps: AdapterDeps): Provider {
  const target: ApiTarget = {
    name: options.name ?? new URL(options.baseUrl).host,
    role: 'provider',
    timeoutMs: durationMs(options.timeout),
    clock: deps.clock,
  };
  const requests = new TemplateRequests(options, target);
  const revokeTemplate = options.revoke;
  return {
    steps: {
      obtain: `${options.create.method ?? 'POST'} ${options.create.url}, new token from '${options.create.response.token}'`,
      verify: `${options.verify.method ?? 'GET'} ${options.verify.url} with the new token`,
      revoke: revokeTemplate
        ? `${revokeTemplate.method ?? 'DELETE'} ${revokeTemplate.url}, then confirm the old token is rejected`
        : 'no revoke request configured: the old token stays valid until it expires',
    },
    obtain: async (ctx, current) => {
      const request = requests.create(ctx, current);
      const { body } = await call(target, request, ctx.signal);
      return requests.created(request, body);
    },
    verify: async (ctx, credential) => {
      await call(target, requests.verify(ctx, credential), ctx.signal);
    },
    ...(revokeTemplate
      ? {
          revoke: async (ctx: ProviderContext, credential: StoredCredential, current: StoredCredential | undefined) => {
            const request = requests.revoke(revokeTemplate, ctx, credential, current);
            const response = await send(target, request, ctx.signal);
            if (response.status === 404) return;
            if (response.status < 200 || response.status > 299) throw failure(target, request, response);
          },
        }
      : {}),
    isRejected: (ctx, credential) => isRefused(target, requests.verify(ctx, credential), options.rejectedStatuses, ctx.signal),
  };
}

export const httpProvider = {
  type: 'http',
  /** Its credentials come from an API or a generator, never from a person. */
  assisted: false,
  schema: HttpProviderOptions,
  create: createHttpProvider,
} satisfies ProviderDefinition<typeof HttpProviderOptions>;
