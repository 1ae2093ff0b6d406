import { basicCredentials, newToken, notFound, SaasServer, WindowLimit, type Reply, type Request } from '../../../servers/saas/base.js';

/**
 * Gorgias as src/providers/gorgias/readme.md describes it: Basic auth (email + API key), one key per user, a reset
 * (admin route: the person in Settings → REST API) makes a new key and kills the old one at once,
 * and a 40-per-20-seconds bucket answered with 429, Retry-after and X-Gorgias-Account-Api-Call-Limit.
 */
export class GorgiasServer extends SaasServer {
  readonly keys = new Map<string, string>();
  readonly #bucket: WindowLimit;

  constructor(
    readonly domain: string,
    bucket = { limit: 40, windowMs: 20_000 },
  ) {
    super();
    this.#bucket = new WindowLimit(bucket.limit, bucket.windowMs);
  }

  /** Resets `email`'s key: the old key stops working at once. */
  reset(email: string): string {
    const key = newToken(32);
    this.keys.set(email, key);
    return key;
  }

  protected admin(request: Request): Reply {
    const [kind, email, action] = request.segments;
    if (kind === 'users' && email && action === 'reset' && request.method === 'POST') return { status: 200, body: { key: this.reset(email) } };
    return notFound;
  }

  protected handle(request: Request): Reply {
    const bucket = this.#bucket.over(this.domain);
    const limitHeader = { 'x-gorgias-account-api-call-limit': `${bucket.used}/${this.#bucket.limit}` };
    if (bucket.over)
      return {
        status: 429,
        headers: { ...limitHeader, 'retry-after': String(Math.max(1, Math.ceil(bucket.resetMs / 1000))) },
        body: { error: { msg: 'Too many requests' } },
      };
    const auth = basicCredentials(request.headers);
    if (!auth || this.keys.get(auth.user) === undefined || this.keys.get(auth.user) !== auth.password) {
      return { status: 401, headers: limitHeader, body: { error: { msg: 'Invalid or expired API key' } } };
    }
    if (request.path === '/api/account' && request.method === 'GET') {
      return {
        status: 200,
        headers: limitHeader,
        as: auth.user,
        body: { domain: this.domain, status: { status: 'active' }, created_datetime: '2024-01-01T00:00:00Z' },
      };
    }
    return { ...notFound, as: auth.user };
  }
}
