import { join } from 'node:path';
import { systemClock } from '../../src/clock.js';
import { silentLogger } from '../../src/observability/logger.js';
import { fileStore } from '../../src/stores/file/index.js';
import type { PolicySnapshot, Store } from '../../src/stores/types.js';

/** Opens the file store a test config (test/helpers/workspace.ts) points at, without generating a key. */
export function openTestStore(dir: string): Store {
  return fileStore.create(
    { type: 'file', path: join(dir, 'state/secrets.enc'), key: { file: join(dir, 'state/store.key'), generate: false } },
    { logger: silentLogger(), clock: systemClock, configDir: dir },
  );
}

export async function readPolicy(dir: string, policy: string): Promise<PolicySnapshot> {
  const store = openTestStore(dir);
  try {
    return await store.read({ name: policy });
  } finally {
    await store.close();
  }
}

/** Every secret value a snapshot holds, for the hygiene checks. */
export function secretsOf(...snapshots: PolicySnapshot[]): string[] {
  return snapshots.flatMap((s) => [s.current, s.previous, s.pending].flatMap((c) => (c ? [c.value.reveal()] : [])));
}
