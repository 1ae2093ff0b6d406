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

/** The file store of an example in config/examples, run with ROTAD_STATE_DIR=`stateDir`. */
export function openExampleStore(stateDir: string): Store {
  return fileStore.create(
    { type: 'file', path: join(stateDir, 'secrets.enc'), key: { file: join(stateDir, 'file-store.key'), generate: false } },
    { logger: silentLogger(), clock: systemClock, configDir: stateDir },
  );
}

export async function readPolicy(dir: string, policy: string, store: Store = openTestStore(dir)): Promise<PolicySnapshot> {
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
