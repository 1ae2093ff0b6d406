import { randomUUID } from 'node:crypto';
import { open, readFile, rename, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { systemClock } from '../../src/clock.js';
import { silentLogger } from '../../src/observability/logger.js';
import { fileStore } from '../../src/stores/file/index.js';
import { FileStoreOptions } from '../../src/stores/file/schema.js';
import { writeIdleFleet } from './file-store-world.js';

export interface WriteRates {
  /** State writes per second through the file store (lock, change one policy, seal, append to the journal, fdatasync). */
  storePerS: number;
  /** The same journal bytes appended to a file kept open (write, fdatasync): the floor of the journal layout. */
  appendPerS: number;
  /** The whole store file written as often the plainest durable way (temp file, fsync, rename, directory fsync): what a write cost before the journal. */
  rewritePerS: number;
  fileMb: number;
  /** Bytes of journal per write. */
  recordBytes: number;
  /** Folding the journal into a new store file (at close, or when the journal outgrows the file). */
  foldMs: number;
}

/** Durable replacement of `path` with `bytes`, nothing else. */
async function rawRewrite(path: string, bytes: Buffer): Promise<void> {
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

/** Durable appends of `bytes` to one file kept open: write, fdatasync, nothing else (the least a journal can do per write). */
async function rawAppender(path: string): Promise<{ append(bytes: Buffer): Promise<void>; close(): Promise<void> }> {
  const handle = await open(path, 'a', 0o600);
  return {
    append: async (bytes) => {
      await handle.write(bytes);
      await handle.datasync();
    },
    close: () => handle.close(),
  };
}

async function perSecond(times: number, work: () => Promise<void>): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < times; i += 1) await work();
  return times / ((performance.now() - started) / 1000);
}

/**
 * Writes per second of the file store at `count` policies (state writes of different policies, one
 * after another, as the engine makes them), against the same bytes written raw.
 */
export async function measureFileStoreWrites(dir: string, count: number, writes: number): Promise<WriteRates> {
  await writeIdleFleet(dir, count);
  const path = join(dir, 'state', 'secrets.enc');
  const journal = `${path}.journal`;
  const options = FileStoreOptions.parse({ type: 'file', path, key: { file: join(dir, 'state', 'store.key') } });
  const store = fileStore.create(options, { logger: silentLogger(), clock: systemClock, configDir: dir });
  const names = Array.from({ length: writes }, (_, i) => `policy-${String((i * 7919) % count).padStart(5, '0')}`);
  const snapshots = new Map(await Promise.all(names.map(async (name) => [name, await store.read({ name })] as const)));
  let next = 0;
  const journalSize = () =>
    stat(journal).then(
      (s) => s.size,
      () => 0,
    );

  const writeOne = async (): Promise<void> => {
    const name = names[next++]!;
    const snapshot = snapshots.get(name)!;
    const revision = await store.writeState({ name }, { ...snapshot.state, requestedAt: Date.now() }, snapshot.revision);
    snapshots.set(name, { ...snapshot, revision });
  };
  await writeOne(); // the journal's first record comes after its header
  const firstWriteEnd = await journalSize();
  await writeOne();
  const recordBytes = (await journalSize()) - firstWriteEnd;
  const record = Buffer.alloc(recordBytes, 'x');
  // Store and raw appends in alternating rounds, so that both see the same disk weather.
  const rounds = 5;
  let storeSeconds = 0;
  let appendSeconds = 0;
  const appender = await rawAppender(`${path}.raw-journal`);
  for (let round = 0; round < rounds; round += 1) {
    storeSeconds += (writes - 2) / rounds / (await perSecond((writes - 2) / rounds, writeOne));
    appendSeconds += (writes - 2) / rounds / (await perSecond((writes - 2) / rounds, () => appender.append(record)));
  }
  await appender.close();
  const folding = performance.now();
  await store.close();
  const foldMs = performance.now() - folding;
  const bytes = await readFile(path);
  const rewritePerS = await perSecond(Math.min(writes, 100), () => rawRewrite(path, bytes));
  const storePerS = (writes - 2) / storeSeconds;
  const appendPerS = (writes - 2) / appendSeconds;
  return { storePerS, appendPerS, rewritePerS, fileMb: bytes.length / 2 ** 20, recordBytes, foldMs };
}
