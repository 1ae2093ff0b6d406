import { basicCredentials, newToken, notFound, SaasServer, WindowLimit, type Reply, type Request } from '../../../servers/saas/base.js';

interface Token {
  id: string;
  name: string;
  value: string;
  createdAt: string;
}
interface Webhook {
  id: string;
  url: string;
  enabled: boolean;
  credentials?: { username: string; password: string };
  headers?: Record<string, string>;
}

/**
 * Gladly as src/providers/gladly/readme.md describes it: Basic auth (API user email + token), several live tokens per
 * user, tokens created and deleted only through the "UI" (the admin routes), 10 requests per second
 * per method with Ratelimit-* headers and no Retry-After, write-only webhook credentials and headers.
 */
export class GladlyServer extends SaasServer {
  /** Each user's tokens, and how many were ever made (names stay unique after deletions, as in Gladly's UI). */
  readonly users = new Map<string, { apiUser: boolean; tokens: Token[]; made: number }>();
  readonly webhooks = new Map<string, Webhook>();
  readonly #limit = new WindowLimit(10, 1000);
  #counter = 0;

  constructor(
    readonly organization: string,
    readonly environment: 'production' | 'sandbox' = 'production',
  ) {
    super();
  }

  get gladlyUrl(): string {
    return `https://${this.organization}.gladly.${this.environment === 'sandbox' ? 'qa' : 'com'}`;
  }

  addUser(email: string, apiUser = true): void {
    this.users.set(email, { apiUser, tokens: [], made: 0 });
  }

  /** The person creating a token in Settings → App Developer Tools → API Tokens. */
  createToken(email: string): Token {
    const user = this.users.get(email);
    if (!user) throw new Error(`no Gladly user ${email}`);
    user.made += 1;
    const token = {
      id: `tok-${++this.#counter}`,
      name: user.made === 1 ? 'New Token' : `New Token ${user.made}`,
      value: newToken(20),
      createdAt: new Date().toISOString(),
    };
    user.tokens.push(token);
    return token;
  }

  /** Which token (by id) of `email` has this value, if it is live. */
  tokenId(email: string, value: string): string | undefined {
    return this.users.get(email)?.tokens.find((t) => t.value === value)?.id;
  }

  protected admin(request: Request): Reply {
    const [kind, email, sub, id] = request.segments;
    if (kind === 'users' && email && sub === 'tokens') {
      if (request.method === 'POST' && id === undefined) {
        const token = this.createToken(email);
        return { status: 201, body: { id: token.id, name: token.name, token: token.value } };
      }
      if (request.method === 'DELETE' && id !== undefined) {
        const user = this.users.get(email);
        const before = user?.tokens.length ?? 0;
        if (user) user.tokens = user.tokens.filter((t) => t.id !== id);
        return { status: before === (user?.tokens.length ?? 0) ? 404 : 204 };
      }
      if (request.method === 'GET')
        return { status: 200, body: (this.users.get(email)?.tokens ?? []).map(({ id: tid, name, createdAt }) => ({ id: tid, name, createdAt })) };
    }
    if (kind === 'webhooks' && email && request.method === 'GET') {
      const hook = this.webhooks.get(email);
      return hook ? { status: 200, body: hook } : notFound;
    }
    return notFound;
  }

  protected handle(request: Request): Reply {
    const limit = this.#limit.over(request.method);
    if (limit.over) {
      return {
        status: 429,
        body: { errors: [{ code: 'rate_limited', detail: 'Too many requests' }] },
        headers: { 'ratelimit-limit-second': '10', 'ratelimit-remaining-second': '0' },
      };
    }
    const rate = { 'ratelimit-limit-second': '10', 'ratelimit-remaining-second': String(Math.max(0, 10 - limit.used)) };
    const auth = basicCredentials(request.headers);
    const user = auth && this.users.get(auth.user);
    const token = user?.tokens.find((t) => t.value === auth?.password);
    if (!auth || !user || !token) return { status: 401, headers: rate, body: { errors: [{ code: 'unauthorized', detail: 'Invalid credentials' }] } };
    if (!user.apiUser)
      return { status: 403, headers: rate, as: token.id, body: { errors: [{ code: 'forbidden', detail: 'User lacks the API User permission' }] } };
    const reply = this.#route(request);
    return { ...reply, headers: { ...rate, ...reply.headers }, as: token.id };
  }

  #route(request: Request): Reply {
    const [api, v1, resource, id] = request.segments;
    if (api !== 'api' || v1 !== 'v1') return notFound;
    if (resource === 'organization' && request.method === 'GET') {
      return {
        status: 200,
        body: { id: `org-${this.organization}`, loginDomain: this.organization, name: this.organization, timezone: 'UTC', gladlyUrl: this.gladlyUrl },
      };
    }
    if (resource === 'webhooks' && id !== undefined) {
      const hook = this.webhooks.get(id);
      if (!hook) return notFound;
      if (request.method === 'GET') {
        return {
          status: 200,
          body: {
            id: hook.id,
            url: hook.url,
            enabled: hook.enabled,
            hasCredentials: hook.credentials !== undefined,
            headerKeys: Object.keys(hook.headers ?? {}),
          },
        };
      }
      if (request.method === 'PATCH') {
        const patch = (request.body ?? {}) as Partial<Webhook>;
        if (patch.credentials !== undefined) {
          if (typeof patch.credentials.username !== 'string' || typeof patch.credentials.password !== 'string')
            return { status: 400, body: { errors: [{ code: 'invalid', detail: 'credentials need username and password' }] } };
          hook.credentials = { username: patch.credentials.username, password: patch.credentials.password };
        }
        if (patch.headers !== undefined) hook.headers = patch.headers;
        return { status: 204 };
      }
    }
    return notFound;
  }
}
