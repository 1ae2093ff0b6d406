import type { AdapterDeps } from '../../adapters/definition.js';
import { durationMs } from '../../duration-text.js';
import { RotadError } from '../../errors.js';
import { badShape, call, failure, isRefused, send, type ApiRequest, type ApiTarget } from '../../http/api-call.js';
import { Secret } from '../../secret.js';
import type { StoredCredential } from '../../stores/types.js';
import type { Provider, ProviderContext, ProviderDefinition } from '../types.js';
import { HttpProviderOptions, type RequestTemplate } from './schema.js';
import { atPath, fill, fillBody, type TemplateValues } from './template.js';

function expiryOf(value: unknown): number | undefined {
  if (typeof value === 'number') return value < 1e12 ? value * 1000 : value;
  if (typeof value === 'string') {
    const parsed = Date.parse(value);
    return Number.isNaN(parsed) ? undefined : parsed;
  }
  return undefined;
}

function createHttpProvider(options: HttpProviderOptions, deps: AdapterDeps): Provider {
  const target: ApiTarget = {
    name: options.name ?? new URL(options.baseUrl).host,
    role: 'provider',
    timeoutMs: durationMs(options.timeout),
    clock: deps.clock,
  };
  const base = options.baseUrl.endsWith('/') ? options.baseUrl : `${options.baseUrl}/`;

  const build = (template: RequestTemplate, method: string, values: TemplateValues): ApiRequest => {
    try {
      return {
        method: template.method ?? method,
        url: new URL(fill(template.url, values).replace(/^\//, ''), base),
        headers: Object.fromEntries(Object.entries(template.headers).map(([k, v]) => [k, fill(v, values)])),
        body: template.body === undefined ? undefined : fillBody(template.body, values),
      };
    } catch (error) {
      throw new RotadError('PROVIDER_BAD_RESPONSE', `${target.name}: cannot build the request: ${(error as Error).message}`);
    }
  };
  const values = (ctx: ProviderContext, extra: Partial<TemplateValues>): TemplateValues => ({
    policy: ctx.policy,
    rotationId: ctx.rotationId,
    vars: options.vars,
    ...extra,
  });
  const currentOrBootstrap = (current: StoredCredential | undefined): Secret | undefined => {
    if (current) return current.value;
    const bootstrap = options.bootstrapEnv === undefined ? undefined : process.env[options.bootstrapEnv];
    return bootstrap ? new Secret(bootstrap) : undefined;
  };
  const verifyRequest = (ctx: ProviderContext, credential: StoredCredential): ApiRequest =>
    build(options.verify, 'GET', values(ctx, { credential: credential.value, credentialId: credential.id }));

  return {
    steps: {
      obtain: `${options.create.method ?? 'POST'} ${options.create.url}, new token from '${options.create.response.token}'`,
      verify: `${options.verify.method ?? 'GET'} ${options.verify.url} with the new token`,
      revoke: options.revoke
        ? `${options.revoke.method ?? 'DELETE'} ${options.revoke.url}, then confirm the old token is rejected`
        : 'no revoke request configured: the old token stays valid until it expires',
    },
    obtain: async (ctx, current) => {
      const request = build(options.create, 'POST', values(ctx, { current: currentOrBootstrap(current), credentialId: current?.id }));
      const { body } = await call(target, request, ctx.signal);
      const token = atPath(body, options.create.response.token);
      if (typeof token !== 'string' || token === '') throw badShape(target, request, `a token at '${options.create.response.token}'`);
      const id = options.create.response.id === undefined ? undefined : atPath(body, options.create.response.id);
      return {
        value: new Secret(token),
        id: typeof id === 'string' || typeof id === 'number' ? String(id) : undefined,
        expiresAt: options.create.response.expiresAt === undefined ? undefined : expiryOf(atPath(body, options.create.response.expiresAt)),
      };
    },
    verify: async (ctx, credential) => {
      await call(target, verifyRequest(ctx, credential), ctx.signal);
    },
    ...(options.revoke
      ? {
          revoke: async (ctx: ProviderContext, credential: StoredCredential, current: StoredCredential | undefined) => {
            const request = build(
              options.revoke!,
              'DELETE',
              values(ctx, { current: current?.value ?? credential.value, credential: credential.value, credentialId: credential.id }),
            );
            const response = await send(target, request, ctx.signal);
            if (response.status === 404) return;
            if (response.status < 200 || response.status > 299) throw failure(target, request, response);
          },
        }
      : {}),
    isRejected: (ctx, credential) => isRefused(target, verifyRequest(ctx, credential), options.rejectedStatuses, ctx.signal),
  };
}

export const httpProvider = {
  type: 'http',
  /** Its credentials come from an API or a generator, never from a person. */
  assisted: false,
  schema: HttpProviderOptions,
  create: createHttpProvider,
} satisfies ProviderDefinition<typeof HttpProviderOptions>;
