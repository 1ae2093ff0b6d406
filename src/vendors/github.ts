import { createHmac, timingSafeEqual } from 'node:crypto';
import { RotadError } from '../errors.js';
import { jsonRequest, NetworkError } from '../http/json-request.js';
import { registerSecretValue } from '../secret.js';

/**
 * GitHub, as rotad's leak intake uses it: a webhook delivery is checked against its
 * X-Hub-Signature-256 (HMAC-SHA256 of the raw body under the webhook's secret, "sha256=" and hex),
 * and a secret scanning alert's leaked value is read from the REST API (the webhook payload never
 * carries it): GET /repos/{owner}/{repo}/secret-scanning/alerts/{number}.
 */

const API_VERSION = '2022-11-28';
const TIMEOUT_MS = 10_000;

/** Whether `header` is the signature of `rawBody` under `secret`; compared in constant time. */
export function githubSignatureValid(secret: string, rawBody: string, header: string | undefined): boolean {
  if (header === undefined || !header.startsWith('sha256=')) return false;
  const expected = Buffer.from(`sha256=${createHmac('sha256', secret).update(rawBody).digest('hex')}`);
  const given = Buffer.from(header);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

interface SecretScanningAlert {
  /** The leaked value (registered for scrubbing at once: it never reaches a log). */
  secret: string;
  htmlUrl: string | undefined;
  state: string | undefined;
}

/** Reads one alert with its secret; errors name what to fix (the token's permission, the repository), never a value. */
export async function readSecretScanningAlert(options: { apiUrl: string; token: string; repository: string; number: number }): Promise<SecretScanningAlert> {
  const base = options.apiUrl.replace(/\/+$/, '');
  const url = new URL(`${base}/repos/${options.repository}/secret-scanning/alerts/${options.number}`);
  let response;
  try {
    response = await jsonRequest({
      method: 'GET',
      url,
      timeoutMs: TIMEOUT_MS,
      headers: { accept: 'application/vnd.github+json', authorization: `Bearer ${options.token}`, 'x-github-api-version': API_VERSION, 'user-agent': 'rotad' },
    });
  } catch (error) {
    const reason = error instanceof NetworkError ? error.reason : String(error);
    throw new RotadError('PROVIDER_UNAVAILABLE', `GitHub's API at ${url.origin} did not answer (${reason}); the alert was not read`, { retryable: true });
  }
  const where = `alert ${options.number} of ${options.repository}`;
  if (response.status === 401 || response.status === 403)
    throw new RotadError(
      'PROVIDER_REJECTED',
      `GitHub refused to show ${where} (HTTP ${response.status}): the token in daemon.api.github.tokenEnv needs "Secret scanning alerts: read" on the repository`,
    );
  if (response.status === 404) throw new RotadError('PROVIDER_UNAVAILABLE', `GitHub has no ${where} (HTTP 404), or the token cannot see the repository`);
  const body = response.body as { secret?: unknown; html_url?: unknown; state?: unknown } | undefined;
  if (response.status !== 200 || typeof body?.secret !== 'string' || body.secret === '')
    throw new RotadError('PROVIDER_BAD_RESPONSE', `GitHub answered ${where} with HTTP ${response.status} and no secret in it; the alert was not matched`);
  registerSecretValue(body.secret);
  return {
    secret: body.secret,
    htmlUrl: typeof body.html_url === 'string' ? body.html_url : undefined,
    state: typeof body.state === 'string' ? body.state : undefined,
  };
}
