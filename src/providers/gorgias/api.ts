import type { Clock } from '../../clock.js';
import { durationMs } from '../../duration-text.js';
import { RotadError } from '../../errors.js';
import { z } from 'zod';
import { basicAuth, callFor, isRefused, type ApiRequest, type ApiTarget } from '../../http/api-call.js';
import { endpoint } from '../../http/dns-label.js';
import { sharedLimiter } from '../../http/rate-limit.js';
import type { Secret } from '../../secret.js';
import type { GorgiasProviderOptions } from './schema.js';

/** Gorgias's leaky bucket for API keys: 40 requests per 20 seconds (rotad keeps a margin for network jitter). */
const BUCKET = { limit: 40, windowMs: 21_000 };
/** The part of `GET /api/account` rotad reads. */
const Account = z.object({ domain: z.string() });

/** The one Gorgias call rotad makes: `GET /api/account` with a user's e-mail and API key (Basic auth), within the account's rate limit. */
export class GorgiasApi {
  readonly #target: ApiTarget;
  readonly #base: string;

  constructor(
    private readonly options: GorgiasProviderOptions,
    clock: Clock,
  ) {
    this.#base = options.baseUrl ?? `https://${options.domain.toLowerCase()}.gorgias.com`;
    this.#target = {
      name: 'Gorgias',
      role: 'provider',
      timeoutMs: durationMs(options.timeout),
      clock,
      limiter: sharedLimiter(`gorgias:${this.#base}`, BUCKET.limit, BUCKET.windowMs, clock),
    };
  }

  #account(email: string, key: Secret): ApiRequest {
    return { method: 'GET', url: endpoint(this.#base, '/api/account'), headers: { authorization: basicAuth(email, key.reveal()) } };
  }

  /** An authenticated read; the account answering must be the configured one. */
  async verify(email: string, key: Secret, signal: AbortSignal): Promise<void> {
    const {
      body: { domain },
    } = await callFor(this.#target, this.#account(email, key), Account, 'domain', signal);
    if (domain.toLowerCase() !== this.options.domain.toLowerCase()) {
      throw new RotadError('VERIFY_FAILED', `the key belongs to Gorgias account ${domain}, not ${this.options.domain}`);
    }
  }

  /** Whether Gorgias now refuses the user's key (401). */
  isRejected(email: string, key: Secret, signal: AbortSignal): Promise<boolean> {
    return isRefused(this.#target, this.#account(email, key), [401], signal);
  }
}
