import { basicCredentials, notFound, SaasServer, WindowLimit, type Reply, type Request } from '../../../servers/saas/base.js';

interface Account {
  id: string;
  provider: string;
  credentials: Record<string, string>;
  status: 'active' | 'inactive' | 'error';
}

/**
 * StackOne as src/consumers/stackone-account/readme.md describes it: Basic auth with the API key as username and an empty
 * password, PATCH /accounts/{id} with `credentials`, GET /accounts/{id} with `status`, 1000
 * requests per minute with Retry-After. `check` plays StackOne testing the linked account's
 * credentials (e.g. against the Gladly test server): a failing check leaves the account in `error`.
 */
export class StackOneServer extends SaasServer {
  readonly accounts = new Map<string, Account>();
  readonly #limit = new WindowLimit(1000, 60_000);

  constructor(
    readonly apiKey: string,
    private readonly check: (credentials: Record<string, string>) => boolean = () => true,
  ) {
    super();
  }

  protected admin(request: Request): Reply {
    const [kind, id] = request.segments;
    if (kind === 'accounts' && id && request.method === 'GET') {
      const account = this.accounts.get(id);
      return account ? { status: 200, body: account } : notFound;
    }
    return notFound;
  }

  protected handle(request: Request): Reply {
    if (this.#limit.over('key').over) return { status: 429, headers: { 'retry-after': '60' }, body: { message: 'Too many requests' } };
    const auth = basicCredentials(request.headers);
    if (!auth || auth.user !== this.apiKey || auth.password !== '') return { status: 401, body: { message: 'Unauthorized' } };
    const [accounts, id] = request.segments;
    const account = id === undefined ? undefined : this.accounts.get(id);
    if (accounts !== 'accounts' || !account) return notFound;
    if (request.method === 'GET') return { status: 200, body: { id: account.id, provider: account.provider, status: account.status } };
    if (request.method === 'PATCH') {
      const credentials = (request.body as { credentials?: Record<string, string> } | undefined)?.credentials;
      if (typeof credentials !== 'object' || credentials === null) return { status: 400, body: { message: 'credentials must be an object' } };
      account.credentials = { ...account.credentials, ...credentials };
      account.status = this.check(account.credentials) ? 'active' : 'error';
      return { status: 200, body: { id: account.id, provider: account.provider, status: account.status } };
    }
    return notFound;
  }
}
