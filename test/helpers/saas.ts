import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DaemonProcess, LogEntry } from './daemon.js';

/** A daemon config for provider tests: file store (or `store`), log notifier, fast retries, quick checks. */
export async function writeSaasConfig(dir: string, policies: string, store?: Record<string, unknown>, extraStores = ''): Promise<string> {
  const path = join(dir, 'rotad.yaml');
  await writeFile(
    path,
    `version: 1
daemon:
  stateDir: ${dir}/state
  health: { enabled: false }
  retry: { attempts: 3, initialDelay: 20ms, maxDelay: 200ms }
  shutdownTimeout: 5s
  audit: { file: ${dir}/audit.jsonl }
stores:
  local: ${store ? JSON.stringify(store) : `{ type: file, path: ${dir}/state/secrets.enc, key: { file: ${dir}/state/store.key, generate: true } }`}
${extraStores}
defaults:
  store: local
  assist: { remindEvery: 1h, deadline: 1d, checkEvery: 300ms }
notifiers:
  log: { type: log }
policies:
${policies}
`,
  );
  return path;
}

/** The person's side of the test servers' admin routes. */
export async function admin(base: string, method: string, path: string, body?: unknown): Promise<Record<string, unknown>> {
  const response = await fetch(`${base}/_admin${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? null : JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`admin ${method} ${path}: ${response.status}`);
  return response.status === 204 ? {} : ((await response.json()) as Record<string, unknown>);
}

/** Waits for a rotation event of `type` from the log notifier (the nth one, counting from 0). */
export function waitForEvent(daemon: DaemonProcess, type: string, nth = 0, timeoutMs = 20_000): Promise<LogEntry> {
  return daemon.waitFor((e) => e.msg === 'Rotation event' && e.event === type, timeoutMs, nth);
}
