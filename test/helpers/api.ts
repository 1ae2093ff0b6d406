import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { freePort } from './ports.js';

/** The tokens every API test config defines: one with every scope, one per single scope, each in its own file. */
export interface ApiTokens {
  admin: string;
  reader: string;
  rotator: string;
  submitter: string;
}

export interface ApiSetup {
  config: string;
  port: number;
  base: string;
  tokens: ApiTokens;
  /** Every token value, for the secret-hygiene checks. */
  secrets: string[];
}

/**
 * A daemon config with the control API on a free port: an assisted Gladly policy (`gladly-prod`), a
 * `random` policy rotating every few seconds (`heartbeat`), a webhook notifier (the person's inbox)
 * and the log notifier. `api` adds to daemon.api (tls, requestsPerMinute, …); `morePolicies` adds
 * policies (YAML list items).
 */
export async function writeApiConfig(
  dir: string,
  parts: { gladlyUrl: string; email: string; webhookUrl: string; api?: string; assist?: string; scheme?: 'http' | 'https'; morePolicies?: string },
): Promise<ApiSetup> {
  const port = await freePort();
  const tokens: ApiTokens = {
    admin: randomBytes(24).toString('hex'),
    reader: randomBytes(24).toString('hex'),
    rotator: randomBytes(24).toString('hex'),
    submitter: randomBytes(24).toString('hex'),
  };
  for (const [name, value] of Object.entries(tokens)) await writeFile(join(dir, `${name}.token`), `${value}\n`, { mode: 0o600 });
  const base = `${parts.scheme ?? 'http'}://127.0.0.1:${port}`;
  const config = join(dir, 'rotad.yaml');
  await writeFile(
    config,
    `version: 1
daemon:
  stateDir: ${dir}/state
  health: { enabled: false }
  retry: { attempts: 3, initialDelay: 20ms, maxDelay: 200ms }
  shutdownTimeout: 5s
  watchConfig: 0s
  audit: { file: ${dir}/audit.jsonl }
  api:
    host: 127.0.0.1
    port: ${port}
    publicUrl: ${base}
    tokens:
      - { name: ops-admin, file: admin.token, scopes: [read, rotate, submit, rollback] }
      - { name: dashboard, file: reader.token, scopes: [read] }
      - { name: ci-rotate, file: rotator.token, scopes: [rotate] }
      - { name: support-bot, file: submitter.token, scopes: [submit] }
${(parts.api ?? '')
  .split('\n')
  .filter(Boolean)
  .map((line) => `    ${line}`)
  .join('\n')}
stores:
  local: { type: file, path: ${dir}/state/secrets.enc, key: { file: ${dir}/state/store.key, generate: true } }
defaults:
  store: local
  assist: ${parts.assist ?? '{ remindEvery: 1h, deadline: 1d, checkEvery: 300ms }'}
notifiers:
  log: { type: log }
  inbox: { type: webhook, url: "${parts.webhookUrl}", secretEnv: INBOX_SECRET }
policies:
  - name: gladly-prod
    provider: { type: gladly, organization: acme, email: ${parts.email}, baseUrl: "${parts.gladlyUrl}" }
    schedule: manual
  - name: heartbeat
    provider: { type: random, length: 32 }
    schedule: { every: 3s }
${parts.morePolicies ?? ''}`,
  );
  return { config, port, base, tokens, secrets: Object.values(tokens) };
}

/** One request to the API, answered as { status, headers, body (parsed JSON or text) }. */
export async function apiCall(
  base: string,
  method: string,
  path: string,
  options: { token?: string | undefined; body?: string | undefined; contentType?: string | undefined } = {},
): Promise<{ status: number; headers: Headers; body: Record<string, unknown> }> {
  const headers: Record<string, string> = {};
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  if (options.body !== undefined) headers['content-type'] = options.contentType ?? 'application/json';
  const response = await fetch(`${base}${path}`, { method, headers, body: options.body ?? null });
  const text = await response.text();
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    body = { text };
  }
  return { status: response.status, headers: response.headers, body };
}
