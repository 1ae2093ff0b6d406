import { spawn } from 'node:child_process';
import { readdir, unlink, utimes, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { systemClock } from '../../src/clock.js';
import { silentLogger } from '../../src/observability/logger.js';
import { Secret } from '../../src/secret.js';
import { fileStore } from '../../src/stores/file/index.js';
import { withFileLock } from '../../src/stores/file/lock.js';
import { ROOT } from '../helpers/paths.js';
import { tempDir } from '../helpers/workspace.js';

const open = (dir: string) =>
  fileStore.create(
    { type: 'file', path: 'secrets.enc', key: { file: 'store.key', generate: true } },
    { logger: silentLogger(), clock: systemClock, configDir: dir },
  );
const credential = (value: string, rotationId: string) => ({ value: new Secret(value), rotationId, createdAt: 0 });
const quickly = <T>(work: Promise<T>): Promise<T> =>
  Promise.race([work, new Promise<T>((_, reject) => setTimeout(() => reject(new Error('still waiting on the lock after 3s')), 3_000))]);

describe('file store lock', () => {
  it('a lock with this pid and a token it never issued (a restarted container, pid 1 again) is taken over at once', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'secrets.enc.lock'), JSON.stringify({ pid: process.pid, host: hostname(), token: 'from-an-earlier-start' }));
    await quickly(open(dir).stagePending({ name: 'p' }, credential('lock-value-1', 'r1')));
  });

  it('a lock of a process that is gone is taken over at once', async () => {
    const dir = await tempDir();
    const gone = spawn('node', ['-e', '']);
    await new Promise((resolve) => gone.on('exit', resolve));
    await writeFile(join(dir, 'secrets.enc.lock'), JSON.stringify({ pid: gone.pid, host: hostname(), token: 't' }));
    await quickly(open(dir).stagePending({ name: 'p' }, credential('lock-value-2', 'r1')));
  });

  it('an empty or unreadable lock (killed mid-write by an older version) is taken over once it is old', async () => {
    const dir = await tempDir();
    const lock = join(dir, 'secrets.enc.lock');
    await writeFile(lock, '');
    const old = new Date(Date.now() - 60_000);
    await utimes(lock, old, old);
    await quickly(open(dir).stagePending({ name: 'p' }, credential('lock-value-3', 'r1')));
  });

  it('a lock held by a live process is waited for, then STORE_BUSY names the holder and what to do', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'secrets.enc.lock'), JSON.stringify({ pid: process.ppid, host: hostname(), token: 't' }));
    const error = await withFileLock(join(dir, 'secrets.enc.lock'), systemClock, async () => undefined, 200).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'STORE_BUSY', retryable: true, message: expect.stringContaining(`process ${process.ppid}`) });
    await expect(open(dir).ping()).rejects.toMatchObject({ code: 'STORE_BUSY' });
  });

  it('killed at random instants while writing, the store never stays locked and leaves no copies behind', async () => {
    const dir = await tempDir();
    const writer = join(ROOT, 'test/fixtures/file-store-writer.mjs');
    let kills = 0;
    for (let round = 0; round < 25; round += 1) {
      const child = spawn('node', [writer, dir], { stdio: ['ignore', 'pipe', 'inherit'] });
      await new Promise((resolve) => child.stdout.once('data', resolve)); // it is writing
      await new Promise((resolve) => setTimeout(resolve, Math.floor(Math.random() * 40)));
      child.kill('SIGKILL');
      await new Promise((resolve) => child.on('exit', resolve));
      kills += 1;
      const store = open(dir);
      await quickly(store.stagePending({ name: `after-${round}` }, credential(`lock-value-after-${round}`, `r-${round}`)));
      await store.close();
    }
    expect(kills).toBe(25);
    const left = (await readdir(dir)).filter((name) => name.endsWith('.tmp') || name.endsWith('.lock') || name.endsWith('.draft'));
    expect(left).toEqual([]);
  }, 60_000);

  it('a writer keeps the lock through back-to-back writes, lets go once idle or closed, and lets another process in during a long run', async () => {
    const dir = await tempDir();
    const store = open(dir);
    await store.stagePending({ name: 'p' }, credential('lock-value-held', 'r1'));
    // Still held right after the write (the caller's next write would take it over)…
    expect(await readdir(dir)).toContain('secrets.enc.lock');
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setTimeout(resolve, 20));
    // …and gone once nothing else came.
    expect(await readdir(dir)).not.toContain('secrets.enc.lock');
    await store.stagePending({ name: 'q' }, credential('lock-value-closed', 'r2'));
    await store.close();
    expect(await readdir(dir)).not.toContain('secrets.enc.lock');

    // Another process writing without a pause: this one still gets its turns, each well within a second.
    const writer = spawn('node', [join(ROOT, 'test/fixtures/file-store-writer.mjs'), dir], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise((resolve) => writer.stdout.once('data', resolve));
    const other = open(dir);
    const waits: number[] = [];
    for (let i = 0; i < 5; i += 1) {
      const started = Date.now();
      await quickly(other.stagePending({ name: `beside-${i}` }, credential(`lock-value-beside-${i}`, `b-${i}`)));
      waits.push(Date.now() - started);
    }
    writer.kill('SIGKILL');
    await new Promise((resolve) => writer.on('exit', resolve));
    await other.close();
    expect(Math.max(...waits)).toBeLessThan(1_500);
  }, 30_000);

  it('a draft removed while the store is open (another handle on the path closed) is written again at the next lock', async () => {
    const dir = await tempDir();
    const store = open(dir);
    await store.stagePending({ name: 'p' }, credential('lock-value-draft-1', 'r1'));
    await new Promise((resolve) => setTimeout(resolve, 20)); // released
    const drafts = (await readdir(dir)).filter((name) => name.endsWith('.draft'));
    expect(drafts).toHaveLength(1);
    await unlink(join(dir, drafts[0]!));
    await quickly(store.stagePending({ name: 'q' }, credential('lock-value-draft-2', 'r2')));
    expect((await store.read({ name: 'q' })).pending?.value.reveal()).toBe('lock-value-draft-2');
    await store.close();
  });
});
