import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { rm } from 'node:fs/promises';
import { RECORDER } from './paths.js';

const created: string[] = [];
afterAll(async () => {
  await Promise.all(created.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

/** A fresh temporary directory, removed after the test file. */
export async function tempDir(prefix = 'rotad-test-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  created.push(dir);
  return dir;
}

export interface TestPolicy {
  name: string;
  rotateOnSignal?: boolean;
  /** Records each credential handed over into this file (see test/fixtures/record-secret.mjs). */
  recordTo?: string;
  consumerEnv?: Record<string, string>;
  grace?: string;
  every?: string;
  secret?: { path?: string; field?: string } | undefined;
}

/** Store options with a request timeout of `timeout`, where the store type has one (a short lease needs short calls: daemon.lease). */
export function withStoreTimeout(store: Record<string, unknown>, timeout: string): Record<string, unknown> {
  return store.type === 'vault' || store.type === 'aws-secrets-manager' ? { timeout, ...store } : store;
}

/**
 * A config on the file store (key from a file, generated) or on `store` (options as for openStore), health off, fast retries,
 * and a 4s lease (a daemon killed mid-rotation is resumed soon) with every call's timeout at most half of it.
 */
export function testConfig(dir: string, policies: TestPolicy[], extra = '', store?: Record<string, unknown>): string {
  const policyYaml = policies
    .map(
      (p) => `
  - name: ${p.name}
    provider: { type: random, length: 40 }${p.secret ? `\n    secret: ${JSON.stringify(p.secret)}` : ''}
    schedule: { every: ${p.every ?? '30d'} }
    grace: ${p.grace ?? '0s'}
    rotateOnSignal: ${p.rotateOnSignal ?? false}
    consumers: [${p.recordTo ? `{ type: exec, command: [node, "${RECORDER}", "${p.recordTo}"], timeout: 2s, env: ${JSON.stringify(p.consumerEnv ?? {})} }` : ''}]`,
    )
    .join('');
  return `version: 1
daemon:
  stateDir: ${dir}/state
  health: { enabled: false }
  retry: { attempts: 3, initialDelay: 10ms, maxDelay: 50ms }
  shutdownTimeout: 5s
  lease: 4s
  watchConfig: 0s
stores:
  local: ${store ? JSON.stringify(withStoreTimeout(store, '2s')) : `{ type: file, path: ${dir}/state/secrets.enc, key: { file: ${dir}/state/store.key, generate: true } }`}
notifiers:
  log: { type: log }
policies:${policyYaml}
${extra}`;
}

export async function writeConfig(dir: string, policies: TestPolicy[], name = 'rotad.yaml', store?: Record<string, unknown>): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, testConfig(dir, policies, '', store));
  return path;
}
