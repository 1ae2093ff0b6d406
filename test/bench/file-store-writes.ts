import { randomUUID } from 'node:crypto';
import { open, readFile, rename } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { systemClock } from '../../src/clock.js';
import { silentLogger } from '../../src/observability/logger.js';
import { fileStore } from '../../src/stores/file/index.js';
import { FileStoreOptions } from '../../src/stores/file/schema.js';
import { writeIdleFleet } from './file-store-world.js';

export interface WriteRates {
  /** State writes per second through the file store (lock, change one policy, seal, write, fsync, rename). */
  storePerS: number;
  /** The same bytes written the plainest durable way (temp file, fsync, rename, directory fsync). */
  rawPerS: number;
  fileMb: number;
}

/** Durable replacement of `path` with `bytes`, nothing else: the floor any file store pays per write. */
async function rawWrite(path: string, bytes: Buffer): Promise<void> {
  const temp = `${path}.${randomUUID()}.raw`;
  const handle = await open(temp, 'wx', 0o600);
  await handle.writeFile(bytes);
  await handle.sync();
  await handle.close();
  await rename(temp, path);
  const dir = await open(dirname(path), 'r');
  await dir.sync();
  await dir.close();
}

/**
 * Writes per second of the file store at `count` policies (state writes of different policies, one
 * after another, as the engine makes them), and the raw rate of writing the same file as often.
 */
export async function measureFileStoreWrites(dir: string, count: number, writes: number): Promise<WriteRates> {
  await writeIdleFleet(dir, count);
  const path = join(dir, 'state', 'secrets.enc');
  const options = FileStoreOptions.parse({ type: 'file', path, key: { file: join(dir, 'state', 'store.key') } });
  const store = fileStore.create(options, { logger: silentLogger(), clock: systemClock, configDir: dir });
  const names = Array.from({ length: writes }, (_, i) => `policy-${String((i * 7919) % count).padStart(5, '0')}`);
  const snapshots = new Map(await Promise.all(names.map(async (name) => [name, await store.read({ name })] as const)));
  let started = performance.now();
  for (const name of names) {
    const snapshot = snapshots.get(name)!;
    const revision = await store.writeState({ name }, { ...snapshot.state, requestedAt: Date.now() }, snapshot.revision);
    snapshots.set(name, { ...snapshot, revision });
  }
  const storePerS = writes / ((performance.now() - started) / 1000);
  await store.close();
  const bytes = await readFile(path);
  started = performance.now();
  for (let i = 0; i < writes; i += 1) await rawWrite(path, bytes);
  const rawPerS = writes / ((performance.now() - started) / 1000);
  return { storePerS, rawPerS, fileMb: bytes.length / 2 ** 20 };
}
