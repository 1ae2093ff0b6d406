import { newToken, notFound, SaasServer, type Reply, type Request } from '../../../servers/saas/base.js';

interface AppToken {
  id: string;
  value: string;
  label: string;
  created_at: string;
  expires_at: string | null;
  last_accessed_at: string | null;
}

/**
 * Cutover as src/providers/cutover/readme.md describes it: Bearer user app tokens (48 hex characters), several per
 * user, listed as JSON:API with expires_at, deleted by API, created only in the UI (admin route).
 * 401 for a token unknown to this host, 403 for a valid token listing another user's tokens.
 * When `coreUrl` is set, requests must carry it in Core-Url (shared tenants).
 */
export class CutoverServer extends SaasServer {
  readonly users = new Map<string, AppToken[]>();
  #counter = 100;

  constructor(readonly coreUrl?: string) {
    super();
  }

  createToken(userId: string, label: string, expiresInDays?: number): AppToken {
    const tokens = this.users.get(userId) ?? [];
    const token: AppToken = {
      id: String(++this.#counter),
      value: newToken(24),
      label,
      created_at: new Date().toISOString(),
      expires_at: expiresInDays === undefined ? null : new Date(Date.now() + expiresInDays * 86_400_000).toISOString(),
      last_accessed_at: null,
    };
    this.users.set(userId, [...tokens, token]);
    return token;
  }

  #owner(value: string): { userId: string; token: AppToken } | undefined {
    for (const [userId, tokens] of this.users) {
      const token = tokens.find((t) => t.value === value && (t.expires_at === null || Date.parse(t.expires_at) > Date.now()));
      if (token) return { userId, token };
    }
    return undefined;
  }

  protected admin(request: Request): Reply {
    const [kind, userId, sub] = request.segments;
    if (kind === 'users' && userId && sub === 'tokens' && request.method === 'POST') {
      const { label = 'token', expiresInDays } = (request.body ?? {}) as { label?: string; expiresInDays?: number };
      const token = this.createToken(userId, label, expiresInDays);
      return { status: 201, body: { id: token.id, token: token.value, expires_at: token.expires_at } };
    }
    if (kind === 'users' && userId && sub === 'tokens' && request.method === 'GET')
      return { status: 200, body: (this.users.get(userId) ?? []).map(({ value: _v, ...rest }) => rest) };
    return notFound;
  }

  protected handle(request: Request): Reply {
    const header = request.headers.authorization ?? '';
    const owner = header.startsWith('Bearer ') ? this.#owner(header.slice(7)) : undefined;
    if (!owner || (this.coreUrl !== undefined && request.headers['core-url'] !== this.coreUrl)) {
      return { status: 401, body: { errors: [{ status: '401', title: 'Unauthorized', detail: 'Token is invalid' }] } };
    }
    owner.token.last_accessed_at = new Date().toISOString();
    const [core, users, userId, sub, tokenId] = request.segments;
    if (core !== 'core' || users !== 'users' || sub !== 'user_app_tokens' || !userId) return { ...notFound, as: owner.token.id };
    if (userId !== owner.userId) return { status: 403, as: owner.token.id, body: { errors: [{ status: '403', title: 'Forbidden' }] } };
    const tokens = this.users.get(userId) ?? [];
    if (request.method === 'GET' && tokenId === undefined) {
      return {
        status: 200,
        as: owner.token.id,
        body: {
          data: tokens.map((t) => ({
            id: t.id,
            type: 'user_app_token',
            attributes: { label: t.label, created_at: t.created_at, expires_at: t.expires_at, last_accessed_at: t.last_accessed_at },
          })),
        },
      };
    }
    if (request.method === 'DELETE' && tokenId !== undefined) {
      if (!tokens.some((t) => t.id === tokenId)) return { ...notFound, as: owner.token.id };
      this.users.set(
        userId,
        tokens.filter((t) => t.id !== tokenId),
      );
      return { status: 204, as: owner.token.id };
    }
    return { ...notFound, as: owner.token.id };
  }
}
