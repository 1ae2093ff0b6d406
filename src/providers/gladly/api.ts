import type { Clock } from '../../clock.js';
import { durationMs } from '../../duration-text.js';
import { z } from 'zod';
import { basicAuth, callFor, isRefused, type ApiTarget } from '../../http/api-call.js';
import { sharedLimiter } from '../../http/rate-limit.js';
import type { Secret } from '../../secret.js';
import { endpoint } from '../dns-label.js';
import type { GladlyProviderOptions } from './schema.js';

/** Gladly allows 10 requests per second per organization and method; rotad keeps a margin for network jitter. */
const REQUESTS_PER_SECOND = 10;
const WINDOW_MS = 1100;

/** The organization's public host, e.g. https://acme.gladly.com: what `gladlyUrl` must say. */
export function gladlyHost(options: Pick<GladlyProviderOptions, 'organization' | 'environment'>): string {
  return `https://${options.organization.toLowerCase()}.gladly.${options.environment === 'sandbox' ? 'qa' : 'com'}`;
}

/** The part of `GET /api/v1/organization` rotad reads. */
const Organization = z.object({ gladlyUrl: z.string() });

/** A small client for the Gladly calls rotad makes, as the API user `email` with `token`. */
export class GladlyApi {
  readonly base: string;
  constructor(
    readonly options: Pick<GladlyProviderOptions, 'organization' | 'environment' | 'baseUrl' | 'timeout'>,
    private readonly clock: Clock,
  ) {
    this.base = options.baseUrl ?? gladlyHost(options);
  }

  target(method: string, role: ApiTarget['role'] = 'provider'): ApiTarget {
    const key = `gladly:${this.base}:${method}`;
    return {
      name: 'Gladly',
      role,
      timeoutMs: durationMs(this.options.timeout),
      clock: this.clock,
      limiter: sharedLimiter(key, REQUESTS_PER_SECOND, WINDOW_MS, this.clock),
      rateLimitBackoffMs: 1000,
    };
  }

  request(method: string, path: string, email: string, token: Secret, body?: unknown) {
    return { method, url: endpoint(this.base, `/api/v1${path}`), headers: { authorization: basicAuth(email, token.reveal()) }, body };
  }

  /** `GET /api/v1/organization`; resolves with the answering organization's `gladlyUrl`. */
  async organizationUrl(email: string, token: Secret): Promise<string> {
    const request = this.request('GET', '/organization', email, token);
    const { body } = await callFor(this.target('GET'), request, Organization, 'gladlyUrl');
    return body.gladlyUrl;
  }

  /** True when Gladly refuses `token` (401 or 403: which one a deleted token gets is not documented). */
  isRejected(email: string, token: Secret): Promise<boolean> {
    return isRefused(this.target('GET'), this.request('GET', '/organization', email, token), [401, 403]);
  }
}

/** True when two URLs name the same origin (scheme, host, port), ignoring case and a trailing slash. */
export function sameOrigin(a: string, b: string): boolean {
  try {
    return new URL(a).origin === new URL(b).origin;
  } catch {
    return false;
  }
}
