import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { inject } from 'vitest';
import type { AdapterDeps } from '../../src/adapters/definition.js';
import { systemClock, type Clock } from '../../src/clock.js';
import { silentLogger } from '../../src/observability/logger.js';
import { storeRegistry } from '../../src/stores/registry.js';
import type { Store } from '../../src/stores/types.js';
import { tempDir } from './workspace.js';
import { MemoryStore, type Entry } from '../sim/memory-store.js';

/** One store type as the contract tests see it: how to open it, and how to open it wrongly. */
export interface StoreKind {
  type: string;
  /** Options (YAML-shaped) of a working store; each call gets a fresh namespace where the store has one. */
  options(): Promise<Record<string, unknown>>;
  /** Options that reach the server but lack the rights (or the key), and the code that must result. */
  denied(options: Record<string, unknown>): Promise<{ options: Record<string, unknown>; code: string }>;
  /** Options pointing at a server that is not there (or, for the file store, a path that cannot exist). */
  unreachable(options: Record<string, unknown>): Promise<Record<string, unknown>>;
}

/** The simulation's in-memory stores, by space: every handle on one space sees the same data. */
const memorySpaces = new Map<string, Map<string, Entry>>();

function openMemoryStore(options: Record<string, unknown>): Store {
  const space = String(options.space);
  const entries = memorySpaces.get(space) ?? new Map<string, Entry>();
  memorySpaces.set(space, entries);
  const store = new MemoryStore(entries);
  store.down = options.down === true;
  store.denied = options.denied === true;
  return store;
}

export function openStore(options: Record<string, unknown>, clock: Clock = systemClock, configDir = '/'): Store {
  if (options.type === 'memory') return openMemoryStore(options);
  const deps: AdapterDeps = { logger: silentLogger(), clock, configDir };
  const definition = storeRegistry[options.type as keyof typeof storeRegistry];
  return definition.create(definition.schema.parse(options) as never, deps);
}

async function vaultToken(policies: string[]): Promise<string> {
  const { address, rootToken } = inject('servers').vault;
  const response = await fetch(`${address}/v1/auth/token/create`, {
    method: 'POST',
    headers: { 'x-vault-token': rootToken },
    body: JSON.stringify({ policies, no_default_policy: false, ttl: '1h' }),
  });
  return ((await response.json()) as { auth: { client_token: string } }).auth.client_token;
}

export const STORE_KINDS: StoreKind[] = [
  {
    // The simulation's store (test/sim): held to the same contract as the real ones.
    type: 'memory',
    options: async () => ({ type: 'memory', space: randomUUID() }),
    denied: async (options) => ({ options: { ...options, denied: true }, code: 'STORE_ACCESS_DENIED' }),
    unreachable: async (options) => ({ ...options, down: true }),
  },
  {
    type: 'file',
    options: async () => {
      const dir = await tempDir();
      return { type: 'file', path: join(dir, 'secrets.enc'), key: { file: join(dir, 'store.key'), generate: true } };
    },
    denied: async (options) => {
      const wrongKeyEnv = `ROTAD_WRONG_KEY_${randomUUID().slice(0, 8).toUpperCase()}`;
      process.env[wrongKeyEnv] = Buffer.alloc(32, 3).toString('base64');
      return { options: { ...options, key: { env: wrongKeyEnv } }, code: 'STORE_KEY_MISMATCH' };
    },
    unreachable: async (options) => {
      const blocker = join(await tempDir(), 'a-file');
      await writeFile(blocker, '');
      return { ...options, path: join(blocker, 'secrets.enc') };
    },
  },
  {
    type: 'vault',
    options: async () => {
      const { address, rootToken } = inject('servers').vault;
      process.env.ROTAD_TEST_VAULT_TOKEN = rootToken;
      const space = randomUUID().slice(0, 8);
      return {
        type: 'vault',
        address,
        path: `apps/${space}/{policy}`,
        statePath: `rotad-state/${space}/{policy}`,
        auth: { method: 'token', tokenEnv: 'ROTAD_TEST_VAULT_TOKEN' },
      };
    },
    denied: async (options) => {
      const env = `ROTAD_TEST_VAULT_DEFAULT_ONLY_${randomUUID().slice(0, 8).toUpperCase()}`;
      process.env[env] = await vaultToken(['default']);
      return { options: { ...options, auth: { method: 'token', tokenEnv: env } }, code: 'STORE_ACCESS_DENIED' };
    },
    unreachable: async (options) => ({ ...options, address: 'http://127.0.0.1:1' }),
  },
  {
    type: 'aws-secrets-manager',
    options: async () => {
      const { endpoint, region, credentialsFile } = inject('servers').aws;
      process.env.AWS_SHARED_CREDENTIALS_FILE = credentialsFile;
      const space = randomUUID().slice(0, 8);
      return {
        type: 'aws-secrets-manager',
        endpoint,
        region,
        profile: 'rotad-test',
        name: `apps/${space}/{policy}`,
        stateName: `rotad-state/${space}/{policy}`,
        maxAttempts: 1,
      };
    },
    denied: async (options) => ({ options: { ...options, profile: 'rotad-denied' }, code: 'STORE_ACCESS_DENIED' }),
    unreachable: async (options) => ({ ...options, endpoint: 'http://127.0.0.1:1' }),
  },
];
