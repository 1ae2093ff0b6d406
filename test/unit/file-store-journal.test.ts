import { appendFile, copyFile, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { systemClock } from '../../src/clock.js';
import { silentLogger } from '../../src/observability/logger.js';
import { Secret } from '../../src/secret.js';
import { fileStore } from '../../src/stores/file/index.js';
import type { Store } from '../../src/stores/types.js';
import { tempDir } from '../helpers/workspace.js';

const open = (dir: string): Store =>
  fileStore.create(
    { type: 'file', path: 'secrets.enc', key: { file: 'store.key', generate: true } },
    { logger: silentLogger(), clock: systemClock, configDir: dir },
  );
const credential = (value: string, rotationId: string) => ({ value: new Secret(value), rotationId, createdAt: 1 });
const exists = (path: string) =>
  stat(path).then(
    () => true,
    () => false,
  );

/** Stages and promotes `count` policies `p0…`, each with value `journal-secret-<i>`. */
async function rotateEach(store: Store, count: number, from = 0): Promise<void> {
  for (let i = from; i < from + count; i += 1) {
    await store.stagePending({ name: `p${i}` }, credential(`journal-secret-${i}`, `r${i}`));
    await store.promote({ name: `p${i}` }, `r${i}`);
  }
}

async function currentValues(store: Store, count: number): Promise<string[]> {
  return Promise.all(Array.from({ length: count }, async (_, i) => (await store.read({ name: `p${i}` })).current?.value.reveal() ?? '-'));
}

const expected = (count: number) => Array.from({ length: count }, (_, i) => `journal-secret-${i}`);

describe('file store journal', () => {
  it('a write appends one record to the journal and leaves the store file as it was', async () => {
    const dir = await tempDir();
    const store = open(dir);
    await rotateEach(store, 1);
    const storeFile = await readFile(join(dir, 'secrets.enc'));
    const journalBefore = (await readFile(join(dir, 'secrets.enc.journal'), 'utf8')).split('\n').length;
    await rotateEach(store, 3, 1);
    expect(await readFile(join(dir, 'secrets.enc'))).toEqual(storeFile);
    // Two writes per policy (stage, promote): six more lines.
    expect((await readFile(join(dir, 'secrets.enc.journal'), 'utf8')).split('\n').length).toBe(journalBefore + 6);
    expect(await currentValues(open(dir), 4)).toEqual(expected(4));
  });

  it('a write cut off by a crash (a torn last record) is ignored by readers and cut away by the next write', async () => {
    const dir = await tempDir();
    const store = open(dir);
    await rotateEach(store, 2);
    const journal = join(dir, 'secrets.enc.journal');
    const whole = await readFile(journal, 'utf8');
    const lastRecord = whole.trimEnd().split('\n').at(-1)!;
    // Half of a record, then the zeros a file system may leave after a power cut.
    await appendFile(journal, lastRecord.slice(0, lastRecord.length / 2));
    await appendFile(journal, Buffer.alloc(64));
    expect(await currentValues(open(dir), 2)).toEqual(expected(2));
    await rotateEach(open(dir), 1, 2);
    const after = await readFile(journal, 'utf8');
    expect(after.startsWith(whole)).toBe(true);
    expect(after).not.toContain('\0');
    expect(await currentValues(open(dir), 3)).toEqual(expected(3));
  });

  it('damage in the middle of the journal, or records in another order, is STORE_CORRUPT, not a silent loss', async () => {
    const dir = await tempDir();
    await rotateEach(open(dir), 2);
    const journal = join(dir, 'secrets.enc.journal');
    const lines = (await readFile(journal, 'utf8')).trimEnd().split('\n');
    const damaged = [...lines];
    damaged[1] = damaged[1]!.replace(/"data":"(.)/, (_, c: string) => `"data":"${c === 'A' ? 'B' : 'A'}`);
    await writeFile(journal, `${damaged.join('\n')}\n`);
    await expect(open(dir).read({ name: 'p0' })).rejects.toMatchObject({ code: 'STORE_CORRUPT', message: expect.stringMatching(/damaged at record 0/) });
    const swapped = [lines[0]!, lines[2]!, lines[1]!, ...lines.slice(3)];
    await writeFile(journal, `${swapped.join('\n')}\n`);
    await expect(open(dir).read({ name: 'p0' })).rejects.toMatchObject({ code: 'STORE_CORRUPT' });
  });

  it('folds the journal into a new store file once it outgrows it; a journal left beside the new file by a crash is ignored', async () => {
    const dir = await tempDir();
    const store = open(dir);
    await rotateEach(store, 1);
    const firstStoreFile = await readFile(join(dir, 'secrets.enc'));
    // A journal that says p0 holds journal-secret-0: true now, not after p0's next rotation.
    const stale = await readFile(join(dir, 'secrets.enc.journal'));
    await store.stagePending({ name: 'p0' }, credential('p0-rotated-again', 'r0-again'));
    await store.promote({ name: 'p0' }, 'r0-again');
    // Records of ~340 bytes: the journal passes its 256 KiB floor after some 760 writes (380 policies).
    let writes = 0;
    while ((await readFile(join(dir, 'secrets.enc'))).equals(firstStoreFile)) {
      const i = 1 + Math.floor(writes / 2);
      if (writes % 2 === 0) await store.stagePending({ name: `p${i}` }, credential(`journal-secret-${i}`, `r${i}`));
      else await store.promote({ name: `p${i}` }, `r${i}`);
      writes += 1;
    }
    expect(writes).toBeGreaterThan(600);
    expect(await exists(join(dir, 'secrets.enc.journal'))).toBe(false);
    const count = 1 + Math.floor(writes / 2);
    const now = ['p0-rotated-again', ...expected(count).slice(1)];
    expect(await currentValues(open(dir), count)).toEqual(now);
    // The crash between writing the new store file and removing the journal it replaced.
    await writeFile(join(dir, 'secrets.enc.journal'), stale);
    expect(await currentValues(open(dir), count)).toEqual(now);
    await rotateEach(open(dir), 1, count);
    expect(await currentValues(open(dir), count + 1)).toEqual([...now, `journal-secret-${count}`]);
  });

  it('closing folds what this process appended; a process that only read writes nothing', async () => {
    const dir = await tempDir();
    const writer = open(dir);
    await rotateEach(writer, 3);
    const reader = open(dir);
    expect(await currentValues(reader, 3)).toEqual(expected(3));
    await copyFile(join(dir, 'secrets.enc'), join(dir, 'before-reader-close'));
    await reader.close();
    expect(await readFile(join(dir, 'secrets.enc'))).toEqual(await readFile(join(dir, 'before-reader-close')));
    expect(await exists(join(dir, 'secrets.enc.journal'))).toBe(true);
    await writer.close();
    expect(await exists(join(dir, 'secrets.enc.journal'))).toBe(false);
    expect(await currentValues(open(dir), 3)).toEqual(expected(3));
  });

  it('a read while this process writes sees the last durable state, and the write once it is durable', async () => {
    const dir = await tempDir();
    const store = open(dir);
    await rotateEach(store, 1);
    const before = await store.read({ name: 'p0' });
    const writing = store.writeState({ name: 'p0' }, { ...before.state, requestedAt: 7 }, before.revision);
    const reads = [];
    // Reads while the write waits for the lock, seals and syncs.
    for (let i = 0; i < 5; i += 1) {
      reads.push((await store.read({ name: 'p0' })).state.requestedAt);
      await new Promise((resolve) => setImmediate(resolve));
    }
    const revision = await writing;
    expect(reads.filter((r) => r !== undefined && r !== 7)).toEqual([]);
    expect(reads).toContain(undefined);
    const after = await store.read({ name: 'p0' });
    expect(after.state.requestedAt).toBe(7);
    expect(after.revision).toBe(revision);
  });
});
