import type { Clock } from '../clock.js';
import type { z } from 'zod';
import { RotadError, type ErrorCode } from '../errors.js';
import { jsonRequest, NetworkError, type JsonResponse } from './json-request.js';
import type { RateLimiter } from './rate-limit.js';
import { parseRetryAfter } from './retry-after.js';

/** Who is called, for messages and error codes: a provider (PROVIDER_*) or a consumer (CONSUMER_FAILED). */
export interface ApiTarget {
  /** Human name of the service, e.g. "Gladly". */
  name: string;
  role: 'provider' | 'consumer';
  timeoutMs: number;
  clock: Clock;
  limiter?: RateLimiter | undefined;
  /** Back-off for a 429 without Retry-After (Gladly sends none): jittered around this. Default: 1s. */
  rateLimitBackoffMs?: number;
}

export interface ApiRequest {
  method: string;
  url: URL;
  headers?: Record<string, string>;
  body?: unknown;
}

/** The request as it may appear in a message: method and path, never the query or a header. */
function describeRequest(request: ApiRequest): string {
  return `${request.method} ${request.url.pathname}`;
}

/** A short, secret-free reason from an error body ({error}, {message}, {errors: [{detail}]}). */
function reasonOf(body: unknown): string {
  if (typeof body !== 'object' || body === null) return '';
  const b = body as Record<string, unknown>;
  const first = Array.isArray(b.errors) ? (b.errors[0] as Record<string, unknown> | undefined) : undefined;
  const text = [b.message, b.error, first?.detail, first?.title].find((v) => typeof v === 'string');
  return typeof text === 'string' ? `: ${text.slice(0, 200)}` : '';
}

/**
 * Sends one request; any HTTP answer resolves, an unreachable service is a retryable error.
 * `signal` (the step's: it aborts when the lease is lost) stops the request in flight.
 */
export async function send(target: ApiTarget, request: ApiRequest, signal?: AbortSignal): Promise<JsonResponse> {
  await target.limiter?.take();
  try {
    return await jsonRequest({ ...request, timeoutMs: target.timeoutMs, signal });
  } catch (error) {
    if (!(error instanceof NetworkError)) throw error;
    const code: ErrorCode = target.role === 'provider' ? 'PROVIDER_UNAVAILABLE' : 'CONSUMER_FAILED';
    throw new RotadError(code, `${target.name} ${describeRequest(request)}: ${error.reason}`, { retryable: true });
  }
}

/** The error for a non-2xx answer: 401/403 rejected, 429 rate-limited, 5xx unavailable, other 4xx bad (docs/errors.md). */
export function failure(target: ApiTarget, request: ApiRequest, response: JsonResponse): RotadError {
  const what = `${target.name} ${describeRequest(request)} answered ${response.status}${reasonOf(response.body)}`;
  const consumer = target.role === 'consumer';
  if (response.status === 429) {
    const header = response.headers['retry-after'];
    const told = parseRetryAfter(typeof header === 'string' ? header : null, target.clock.now());
    const base = target.rateLimitBackoffMs ?? 1000;
    const retryAfterMs = told ?? base + Math.floor(Math.random() * base);
    return new RotadError(consumer ? 'CONSUMER_FAILED' : 'PROVIDER_RATE_LIMITED', `${what} (rate limited)`, { retryable: true, retryAfterMs });
  }
  if (response.status >= 500) return new RotadError(consumer ? 'CONSUMER_FAILED' : 'PROVIDER_UNAVAILABLE', what, { retryable: true });
  if (response.status === 401 || response.status === 403) {
    return new RotadError(
      consumer ? 'CONSUMER_FAILED' : 'PROVIDER_REJECTED',
      `${what} (${response.status === 401 ? 'credential not accepted' : 'no permission'})`,
    );
  }
  return new RotadError(consumer ? 'CONSUMER_FAILED' : 'PROVIDER_BAD_RESPONSE', what);
}

/** Sends and insists on a 2xx answer. */
export async function call(target: ApiTarget, request: ApiRequest, signal?: AbortSignal): Promise<JsonResponse> {
  const response = await send(target, request, signal);
  if (response.status < 200 || response.status > 299) throw failure(target, request, response);
  if (response.malformed) throw badShape(target, request, 'a JSON body');
  return response;
}

/**
 * Sends, insists on a 2xx answer, and parses its body with `schema`: every adapter reads answers
 * through a schema, never a cast. A body that does not match is a bad shape (retried), described
 * to the person as `expected`; only field paths reach the message, never the body's values.
 */
export async function callFor<T>(
  target: ApiTarget,
  request: ApiRequest,
  schema: z.ZodType<T>,
  expected: string,
  signal?: AbortSignal,
): Promise<{ response: JsonResponse; body: T }> {
  const response = await call(target, request, signal);
  const parsed = schema.safeParse(response.body);
  if (!parsed.success) throw badShape(target, request, expected);
  return { response, body: parsed.data };
}

/**
 * The error for a 2xx answer whose body lacks the documented shape (not JSON, a field missing, a
 * read-back that does not confirm the write). Retried, from a provider and a consumer alike: a
 * proxy's error page or a deployment in progress answers like this and passes; a lasting one ends
 * in needs-attention after the bounded retries (docs/errors.md, "How an answer is classified").
 */
export function badShape(target: ApiTarget, request: ApiRequest, expected: string): RotadError {
  return new RotadError(
    target.role === 'provider' ? 'PROVIDER_BAD_RESPONSE' : 'CONSUMER_FAILED',
    `${target.name} ${describeRequest(request)}: expected ${expected} in the answer`,
    { retryable: true },
  );
}

export function basicAuth(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
}

/** True when the service now refuses the request with one of `rejectedStatuses`; false on 2xx; other answers throw. */
export async function isRefused(target: ApiTarget, request: ApiRequest, rejectedStatuses: readonly number[], signal?: AbortSignal): Promise<boolean> {
  const response = await send(target, request, signal);
  if (rejectedStatuses.includes(response.status)) return true;
  if (response.status >= 200 && response.status <= 299) return false;
  throw failure(target, request, response);
}
