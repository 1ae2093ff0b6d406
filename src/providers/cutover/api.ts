import type { Clock } from '../../clock.js';
import { durationMs } from '../../duration-text.js';
import { z } from 'zod';
import { callFor, failure, isRefused, send, type ApiRequest, type ApiTarget } from '../../http/api-call.js';
import { endpoint } from '../../http/dns-label.js';
import type { Secret } from '../../secret.js';
import type { CutoverProviderOptions } from './schema.js';

/** One entry of `GET /core/users/{id}/user_app_tokens` (JSON:API). */
export interface AppToken {
  id: string;
  label: string;
  createdAt: number;
  expiresAt: number | undefined;
}

/** `GET …/user_app_tokens`: a JSON:API list; ids may be numbers; a token without a readable creation date makes the list unusable. */
const TokenList = z.object({
  data: z.array(
    z.object({
      id: z.union([z.string(), z.number()]),
      attributes: z.object({
        label: z.string().nullish(),
        created_at: z.string().refine((text) => !Number.isNaN(Date.parse(text))),
        expires_at: z.string().nullish(),
      }),
    }),
  ),
});

function appTokens(list: z.infer<typeof TokenList>): AppToken[] {
  return list.data.map(({ id, attributes: a }) => {
    const expires = typeof a.expires_at === 'string' ? Date.parse(a.expires_at) : NaN;
    return { id: String(id), label: a.label ?? '', createdAt: Date.parse(a.created_at), expiresAt: Number.isNaN(expires) ? undefined : expires };
  });
}

/** The Cutover calls rotad makes for one user: list their app tokens, delete one, tell a rejected token (PROVIDERS.md, Cutover). */
export class CutoverApi {
  readonly tokensPath: string;
  readonly #target: ApiTarget;

  constructor(
    private readonly options: CutoverProviderOptions,
    clock: Clock,
  ) {
    this.#target = { name: 'Cutover', role: 'provider', timeoutMs: durationMs(options.timeout), clock };
    this.tokensPath = `/core/users/${encodeURIComponent(options.userId)}/user_app_tokens`;
  }

  #request(method: string, path: string, token: Secret): ApiRequest {
    return {
      method,
      url: endpoint(this.options.baseUrl, path),
      headers: {
        authorization: `Bearer ${token.reveal()}`,
        ...(this.options.coreUrl ? { 'core-url': this.options.coreUrl } : {}),
        ...(this.options.apiVersion ? { 'api-version': this.options.apiVersion } : {}),
      },
    };
  }

  /** The user's app tokens, read with `token` (which must be one of them, or an admin's). */
  async listTokens(token: Secret, signal: AbortSignal): Promise<AppToken[]> {
    const request = this.#request('GET', this.tokensPath, token);
    const { body } = await callFor(this.#target, request, TokenList, 'a JSON:API list of user app tokens (data[].id, attributes.created_at)', signal);
    return appTokens(body);
  }

  /** Deletes token `id` with `token`; one already gone (404) counts as deleted. */
  async deleteToken(id: string, token: Secret, signal: AbortSignal): Promise<void> {
    const request = this.#request('DELETE', `${this.tokensPath}/${encodeURIComponent(id)}`, token);
    const response = await send(this.#target, request, signal);
    if (response.status === 404) return;
    if (response.status < 200 || response.status > 299) throw failure(this.#target, request, response);
  }

  /** Whether Cutover now refuses `token` (401). */
  isRejected(token: Secret, signal: AbortSignal): Promise<boolean> {
    return isRefused(this.#target, this.#request('GET', this.tokensPath, token), [401], signal);
  }
}
