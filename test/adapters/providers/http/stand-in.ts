import { newToken, notFound, SaasServer, WindowLimit, type Reply, type Request } from '../../../servers/saas/base.js';

/**
 * A SaaS with a token API, for the generic `http` provider: POST /v1/tokens creates a token
 * (Bearer auth with a live one), GET /v1/me checks one, DELETE /v1/tokens/{id} revokes one.
 */
export class TokensApiServer extends SaasServer {
  readonly tokens = new Map<string, { id: string; value: string; expiresAt: string }>();
  /** Every token ever created, with the name it was created under (rotad puts its rotation id there), live or not. */
  readonly ledger: Array<{ id: string; value: string; name: string }> = [];
  #counter = 0;
  /** Set to answer 429 (with Retry-After) above this many API calls in any second, as a vendor's limit does. */
  limit: WindowLimit | undefined;

  create(name = ''): { id: string; value: string; expiresAt: string } {
    const token = { id: `t${++this.#counter}`, value: `acme_${newToken(16)}`, expiresAt: new Date(Date.now() + 90 * 86_400_000).toISOString() };
    this.tokens.set(token.id, token);
    this.ledger.push({ id: token.id, value: token.value, name });
    return token;
  }

  #byValue(header: string | undefined) {
    const value = header?.startsWith('Bearer ') ? header.slice(7) : undefined;
    return [...this.tokens.values()].find((t) => t.value === value);
  }

  protected admin(request: Request): Reply {
    if (request.segments[0] === 'tokens' && request.method === 'POST') {
      const token = this.create();
      return { status: 201, body: { id: token.id, token: token.value } };
    }
    return notFound;
  }

  protected handle(request: Request): Reply {
    const limited = this.limit?.over('api');
    if (limited?.over) return { status: 429, headers: { 'retry-after': String(Math.ceil(limited.resetMs / 1000)) }, body: { message: 'rate limited' } };
    const caller = this.#byValue(request.headers.authorization);
    if (!caller) return { status: 401, body: { message: 'invalid token' } };
    const [v1, resource, id] = request.segments;
    if (v1 !== 'v1') return { ...notFound, as: caller.id };
    if (resource === 'me' && request.method === 'GET') return { status: 200, as: caller.id, body: { token_id: caller.id, account: 'acme' } };
    if (resource === 'tokens' && request.method === 'POST' && id === undefined) {
      const name = (request.body as { name?: unknown } | undefined)?.name;
      const token = this.create(typeof name === 'string' ? name : '');
      return { status: 201, as: caller.id, body: { data: { token: token.value, id: token.id, expires_at: token.expiresAt } } };
    }
    if (resource === 'tokens' && request.method === 'DELETE' && id !== undefined) {
      return this.tokens.delete(id) ? { status: 204, as: caller.id } : { ...notFound, as: caller.id };
    }
    return { ...notFound, as: caller.id };
  }
}
