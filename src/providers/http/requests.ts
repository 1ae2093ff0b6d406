import { RotadError } from '../../errors.js';
import { badShape, type ApiRequest, type ApiTarget } from '../../http/api-call.js';
import { Secret } from '../../secret.js';
import type { StoredCredential } from '../../stores/types.js';
import type { NewCredential, ProviderContext } from '../types.js';
import type { HttpProviderOptions, RequestTemplate } from './schema.js';
import { atPath, fill, fillBody, type TemplateValues } from './template.js';

/** An expiry as the API wrote it: seconds or milliseconds since the epoch, or a date. */
function expiryOf(value: unknown): number | undefined {
  if (typeof value === 'number') return value < 1e12 ? value * 1000 : value;
  if (typeof value === 'string') {
    const parsed = Date.parse(value);
    return Number.isNaN(parsed) ? undefined : parsed;
  }
  return undefined;
}

/** The configured create, verify and revoke requests, filled for one call; and the new token read from the create answer. */
export class TemplateRequests {
  readonly #base: string;

  constructor(
    private readonly options: HttpProviderOptions,
    private readonly target: ApiTarget,
  ) {
    this.#base = options.baseUrl.endsWith('/') ? options.baseUrl : `${options.baseUrl}/`;
  }

  #build(template: RequestTemplate, method: string, values: TemplateValues): ApiRequest {
    try {
      return {
        method: template.method ?? method,
        url: new URL(fill(template.url, values).replace(/^\//, ''), this.#base),
        headers: Object.fromEntries(Object.entries(template.headers).map(([k, v]) => [k, fill(v, values)])),
        body: template.body === undefined ? undefined : fillBody(template.body, values),
      };
    } catch (error) {
      throw new RotadError('PROVIDER_BAD_RESPONSE', `${this.target.name}: cannot build the request: ${(error as Error).message}`);
    }
  }

  #values(ctx: ProviderContext, extra: Partial<TemplateValues>): TemplateValues {
    return { policy: ctx.policy, rotationId: ctx.rotationId, vars: this.options.vars, ...extra };
  }

  /** The credential the create request authenticates with: the current one, else the bootstrap token. */
  #currentOrBootstrap(current: StoredCredential | undefined): Secret | undefined {
    if (current) return current.value;
    const bootstrap = this.options.bootstrapEnv === undefined ? undefined : process.env[this.options.bootstrapEnv];
    return bootstrap ? new Secret(bootstrap) : undefined;
  }

  create(ctx: ProviderContext, current: StoredCredential | undefined): ApiRequest {
    return this.#build(this.options.create, 'POST', this.#values(ctx, { current: this.#currentOrBootstrap(current), credentialId: current?.id }));
  }

  /** The new credential in the create request's answer, where `create.response` says it is. */
  created(request: ApiRequest, body: unknown): NewCredential {
    const { response } = this.options.create;
    const token = atPath(body, response.token);
    if (typeof token !== 'string' || token === '') throw badShape(this.target, request, `a token at '${response.token}'`);
    const id = response.id === undefined ? undefined : atPath(body, response.id);
    return {
      value: new Secret(token),
      id: typeof id === 'string' || typeof id === 'number' ? String(id) : undefined,
      expiresAt: response.expiresAt === undefined ? undefined : expiryOf(atPath(body, response.expiresAt)),
    };
  }

  verify(ctx: ProviderContext, credential: StoredCredential): ApiRequest {
    return this.#build(this.options.verify, 'GET', this.#values(ctx, { credential: credential.value, credentialId: credential.id }));
  }

  revoke(template: RequestTemplate, ctx: ProviderContext, credential: StoredCredential, current: StoredCredential | undefined): ApiRequest {
    return this.#build(
      template,
      'DELETE',
      this.#values(ctx, { current: current?.value ?? credential.value, credential: credential.value, credentialId: credential.id }),
    );
  }
}
