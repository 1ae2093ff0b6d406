import { callSignal } from '../../call-signal.js';
import { readFile } from 'node:fs/promises';
import type { Clock } from '../../clock.js';
import { RotadError } from '../../errors.js';
import { jsonRequest, NetworkError, type JsonResponse } from '../../http/json-request.js';
import { registerSecretValue } from '../../secret.js';
import { unreachable, vaultError } from './errors.js';
import type { VaultAuthOptions } from './schema.js';

interface VaultClientOptions {
  address: string;
  namespace?: string | undefined;
  auth: VaultAuthOptions;
  /** Resolves relative file paths of the auth options. */
  resolvePath: (path: string) => string;
  ca?: string | undefined;
  timeoutMs: number;
  clock: Clock;
}

interface Lease {
  token: string;
  /** Epoch ms after which the token is renewed (2/3 of its TTL); undefined: never expires. */
  renewAt?: number | undefined;
  renewable: boolean;
}

const AuthAnswer = (body: unknown): { client_token: string; lease_duration: number; renewable: boolean } | undefined => {
  const auth = (body as { auth?: { client_token?: unknown; lease_duration?: unknown; renewable?: unknown } } | undefined)?.auth;
  return typeof auth?.client_token === 'string'
    ? { client_token: auth.client_token, lease_duration: Number(auth.lease_duration ?? 0), renewable: auth.renewable === true }
    : undefined;
};

async function readSecretFile(path: string, what: string): Promise<string> {
  try {
    const value = (await readFile(path, 'utf8')).trim();
    registerSecretValue(value);
    return value;
  } catch (error) {
    throw new RotadError('STORE_ACCESS_DENIED', `cannot read ${what} from ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

function fromEnv(name: string, what: string): string {
  const value = process.env[name];
  if (!value) throw new RotadError('STORE_ACCESS_DENIED', `environment variable ${name} (${what}) is not set`);
  registerSecretValue(value);
  return value;
}

/**
 * A small typed client for the Vault/OpenBao endpoints rotad needs. Tokens are renewed at two
 * thirds of their TTL and obtained again (AppRole, Kubernetes) when renewal fails or a request
 * answers 403; tokens never appear in errors or logs.
 */
export class VaultClient {
  readonly #options: VaultClientOptions;
  #lease: Lease | undefined;

  constructor(options: VaultClientOptions) {
    this.#options = options;
  }

  async #raw(method: string, path: string, body: unknown, token: string | undefined): Promise<JsonResponse> {
    const headers: Record<string, string> = {};
    if (token !== undefined) headers['x-vault-token'] = token;
    if (this.#options.namespace) headers['x-vault-namespace'] = this.#options.namespace;
    // Vault's PATCH endpoints take a JSON merge patch (RFC 7386) and refuse other types.
    if (method === 'PATCH') headers['content-type'] = 'application/merge-patch+json';
    try {
      return await jsonRequest({
        method,
        url: new URL(`/v1/${path}`, this.#options.address),
        headers,
        body,
        timeoutMs: this.#options.timeoutMs,
        ca: this.#options.ca,
        signal: callSignal(), // the step's, when the engine makes the call (call-signal.ts)
      });
    } catch (error) {
      if (error instanceof NetworkError) throw unreachable(this.#options.address, error);
      throw error;
    }
  }

  #leaseFrom(auth: { client_token: string; lease_duration: number; renewable: boolean }): Lease {
    registerSecretValue(auth.client_token);
    const ttlMs = auth.lease_duration * 1000;
    return { token: auth.client_token, renewable: auth.renewable, renewAt: ttlMs > 0 ? this.#options.clock.now() + (ttlMs * 2) / 3 : undefined };
  }

  async #login(): Promise<Lease> {
    const { auth, resolvePath } = this.#options;
    if (auth.method === 'token') {
      const token = auth.tokenFile ? await readSecretFile(resolvePath(auth.tokenFile), 'the Vault token') : fromEnv(auth.tokenEnv, 'the Vault token');
      const lookup = await this.#raw('GET', 'auth/token/lookup-self', undefined, token);
      if (lookup.status !== 200) throw vaultError('token lookup (auth/token/lookup-self)', lookup);
      const data = (lookup.body as { data?: { ttl?: number; renewable?: boolean } }).data ?? {};
      return this.#leaseFrom({ client_token: token, lease_duration: Number(data.ttl ?? 0), renewable: data.renewable === true });
    }
    const body =
      auth.method === 'approle'
        ? {
            role_id: auth.roleId,
            secret_id: auth.secretIdFile
              ? await readSecretFile(resolvePath(auth.secretIdFile), 'the AppRole secret id')
              : fromEnv(auth.secretIdEnv, 'the AppRole secret id'),
          }
        : { role: auth.role, jwt: await readSecretFile(resolvePath(auth.jwtFile), 'the Kubernetes service-account token') };
    const response = await this.#raw('POST', `auth/${auth.mount}/login`, body, undefined);
    const answer = response.status === 200 ? AuthAnswer(response.body) : undefined;
    if (!answer) throw vaultError(`${auth.method} login (auth/${auth.mount}/login)`, response);
    return this.#leaseFrom(answer);
  }

  /** The token to use now: logs in, or renews it once two thirds of its TTL have passed. */
  async token(): Promise<string> {
    const lease = this.#lease;
    if (lease?.renewAt !== undefined && this.#options.clock.now() >= lease.renewAt) {
      this.#lease = lease.renewable ? await this.#renew(lease) : undefined;
    }
    this.#lease ??= await this.#login();
    return this.#lease.token;
  }

  async #renew(lease: Lease): Promise<Lease | undefined> {
    const response = await this.#raw('POST', 'auth/token/renew-self', {}, lease.token);
    const answer = response.status === 200 ? AuthAnswer(response.body) : undefined;
    return answer ? this.#leaseFrom(answer) : undefined; // undefined: log in again
  }

  /** An authenticated request; a 403 is retried once with a fresh login (the token may have been revoked). */
  async request(method: string, path: string, body?: unknown): Promise<JsonResponse> {
    const response = await this.#raw(method, path, body, await this.token());
    const { auth } = this.#options;
    // A token from the environment cannot change; a token file can (Vault Agent rewrites it).
    if (response.status !== 403 || (auth.method === 'token' && auth.tokenFile === undefined)) return response;
    this.#lease = undefined;
    return this.#raw(method, path, body, await this.token());
  }

  /** Forgets the token (close). */
  reset(): void {
    this.#lease = undefined;
  }
}
