import { RotadError } from '../errors.js';
import { jsonRequest, NetworkError } from '../http/json-request.js';

/**
 * POSTs JSON (an object, or a string sent as is) and throws unless the answer is 2xx: NOTIFIER_REFUSED
 * (not worth sending again) for a 4xx other than 408 and 429, NOTIFIER_FAILED (retryable) otherwise.
 * Errors show only the origin (the path may be a token).
 */
export async function postJson(url: string, body: unknown, headers: Record<string, string>, timeoutMs: number): Promise<void> {
  const target = new URL(url);
  try {
    const response = await jsonRequest({ method: 'POST', url: target, ...(typeof body === 'string' ? { rawBody: body } : { body }), headers, timeoutMs });
    if (response.status >= 400 && response.status < 500 && response.status !== 408 && response.status !== 429)
      throw new RotadError('NOTIFIER_REFUSED', `${target.origin} refused the message (${response.status})`);
    if (response.status < 200 || response.status >= 300)
      throw new RotadError('NOTIFIER_FAILED', `${target.origin} answered ${response.status}`, { retryable: true });
  } catch (error) {
    if (error instanceof NetworkError) throw new RotadError('NOTIFIER_FAILED', `${target.origin}: ${error.reason}`, { retryable: true });
    throw error;
  }
}

/** Reads a notifier's own secret (webhook URL, signing key, SMTP password) from env or file. */
export function secretFrom(envName: string | undefined, read: () => string | undefined, what: string): string {
  const value = envName ? process.env[envName] : read();
  if (!value) throw new RotadError('CONFIG_INVALID', `${what} is not set${envName ? ` (environment variable ${envName})` : ''}`);
  return value;
}
