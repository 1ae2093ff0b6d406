import type { Clock } from '../clock.js';
import { DurationText, durationMs } from '../duration-text.js';
import { z } from 'zod';
import { basicAuth, callFor, isRefused, type ApiTarget } from '../http/api-call.js';
import { sharedLimiter } from '../http/rate-limit.js';
import type { Secret } from '../secret.js';
import { BaseUrl, DnsLabel, endpoint } from '../http/dns-label.js';

/**
 * The Gladly account rotad acts for: what the `gladly` provider's options hold and what the
 * `gladly-webhook` consumer reads from its auth policy (both call Gladly through GladlyApi).
 */
export const GladlyAccount = z.object({
  /** The organization: `{organization}.gladly.com` (production) or `.gladly.qa` (sandbox). */
  organization: DnsLabel,
  /** Default: production. A token works only in the environment it was made in. */
  environment: z.enum(['production', 'sandbox']).default('production'),
  /** The API user's email (the Basic-auth username); the person signs in as this user. */
  email: z.email({ error: "expected the API user's email address" }),
  /** Where the API is called (tests, proxies). Default: the organization's host. */
  baseUrl: BaseUrl.optional(),
  /** Per request. Default: 10s. */
  timeout: DurationText.default('10s'),
});
type GladlyAccount = z.infer<typeof GladlyAccount>;

/**
 * Gladly allows 10 requests per second per organization and method. rotad sends at most 10 in any
 * 1.25 s: a request can reach Gladly later than it left (a busy event loop, the network), and
 * without the margin 11 arrived within one of Gladly's seconds on a loaded machine.
 */
const REQUESTS_PER_SECOND = 10;
const WINDOW_MS = 1250;

/** The organization's public host, e.g. https://acme.gladly.com: what `gladlyUrl` must say. */
export function gladlyHost(options: Pick<GladlyAccount, 'organization' | 'environment'>): string {
  return `https://${options.organization.toLowerCase()}.gladly.${options.environment === 'sandbox' ? 'qa' : 'com'}`;
}

/** The part of `GET /api/v1/organization` rotad reads. */
const Organization = z.object({ gladlyUrl: z.string() });

/** A small client for the Gladly calls rotad makes, as the API user `email` with `token`. */
export class GladlyApi {
  readonly base: string;
  constructor(
    readonly options: Pick<GladlyAccount, 'organization' | 'environment' | 'baseUrl' | 'timeout'>,
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
  async organizationUrl(email: string, token: Secret, signal?: AbortSignal): Promise<string> {
    const request = this.request('GET', '/organization', email, token);
    const { body } = await callFor(this.target('GET'), request, Organization, 'gladlyUrl', signal);
    return body.gladlyUrl;
  }

  /** True when Gladly refuses `token` (401 or 403: which one a deleted token gets is not documented). */
  isRejected(email: string, token: Secret, signal?: AbortSignal): Promise<boolean> {
    return isRefused(this.target('GET'), this.request('GET', '/organization', email, token), [401, 403], signal);
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
