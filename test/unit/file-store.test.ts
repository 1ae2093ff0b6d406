import { StoreConflictError } from '../../src/errors.js';
import { mkdir, readFile, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { systemClock } from '../../src/clock.js';
import { silentLogger } from '../../src/observability/logger.js';
import { runRotation } from '../../src/rotation/engine.js';
import { IDLE_STATE } from '../../src/policy-state.js';
import { randomProvider } from '../../src/providers/random/index.js';
import { Secret } from '../../src/secret.js';
import { fileStore } from '../../src/stores/file/index.js';
import type { FileStoreOptions } from '../../src/stores/file/schema.js';
import type { Store } from '../../src/stores/types.js';
import { policyRuntime, FakeClock } from '../helpers/engine-doubles.js';
import { tempDir } from '../helpers/workspace.js';

const deps = (configDir: string) => ({ logger: silentLogger(), clock: systemClock, configDir });
const KEY_A = Buffer.alloc(32, 7).toString('base64');
const KEY_B = Buffer.alloc(32, 9).toString('hex');

function open(dir: string, key: FileStoreOptions['key'] = { file: 'store.key', generate: true }): Store {
  return fileStore.create({ type: 'file', path: 'secrets.enc', key }, deps(dir));
}

const credential = (value: string, rotationId: string) => ({ value: new Secret(value), rotationId, createdAt: 1 });

describe('file store: reads from memory while the file is unchanged', () => {
  it('sees every write of another process (a CLI command beside the daemon), and hands out copies', async () => {
    const dir = await tempDir();
    const daemon = open(dir);
    const cli = open(dir);
    await daemon.stagePending({ name: 'p' }, credential('first-cached-value', 'r1'));
    await daemon.promote({ name: 'p' }, 'r1');
    const before = await daemon.read({ name: 'p' });
    // Another instance (its own memory) writes: the daemon's next read shows it.
    await cli.writeState({ name: 'p' }, { ...before.state, requestedAt: 42 }, before.revision);
    const after = await daemon.read({ name: 'p' });
    expect(after.state.requestedAt).toBe(42);
    expect(after.revision).not.toBe(before.revision);
    // What a read returns can be changed by the caller without changing the store's memory.
    after.state.history.push({ rotationId: 'x', outcome: 'succeeded', at: 1 });
    (after.state as { phase: string }).phase = 'verify';
    const again = await daemon.read({ name: 'p' });
    expect(again.state.phase).toBe('idle');
    expect(again.state.history).toEqual([]);
    expect(again.current?.value.reveal()).toBe('first-cached-value');
  });

  it('notices a file changed behind its back: restored from a backup, or damaged', async () => {
    const dir = await tempDir();
    const store = open(dir);
    await store.stagePending({ name: 'p' }, credential('value-before-backup', 'r1'));
    const backup = await readFile(join(dir, 'secrets.enc'), 'utf8');
    await store.promote({ name: 'p' }, 'r1');
    expect((await store.read({ name: 'p' })).current?.rotationId).toBe('r1');
    // A backup is the store file and its journal (none yet when it was taken).
    expect(await readFile(join(dir, 'secrets.enc.journal')).then(() => true)).toBe(true);
    await writeFile(join(dir, 'secrets.enc'), backup);
    await unlink(join(dir, 'secrets.enc.journal'));
    const restored = await store.read({ name: 'p' });
    expect(restored.current).toBeUndefined();
    expect(restored.pending?.rotationId).toBe('r1');
    await writeFile(
      join(dir, 'secrets.enc'),
      backup.replace(/"data":"(.)/, (_, c: string) => `"data":"${c === 'A' ? 'B' : 'A'}`),
    );
    await expect(store.read({ name: 'p' })).rejects.toMatchObject({ code: 'STORE_CORRUPT' });
  });
});

describe('file store', () => {
  it('encrypts at rest, writes 0600 files, and round-trips stage → promote → rollback', async () => {
    const dir = await tempDir();
    const store = open(dir);
    await store.stagePending({ name: 'p' }, credential('first-secret-value', 'r1'));
    await store.promote({ name: 'p' }, 'r1');
    await store.stagePending({ name: 'p' }, credential('second-secret-value', 'r2'));
    await store.stagePending({ name: 'p' }, credential('second-secret-value', 'r2')); // idempotent for the same credential
    // Another value under the same rotation id would be a credential the store forgets: refused.
    await expect(store.stagePending({ name: 'p' }, credential('another-value-same-rotation', 'r2'))).rejects.toBeInstanceOf(StoreConflictError);
    await store.promote({ name: 'p' }, 'r2');
    await store.promote({ name: 'p' }, 'r2'); // idempotent
    let snapshot = await store.read({ name: 'p' });
    expect(snapshot.current?.value.reveal()).toBe('second-secret-value');
    expect(snapshot.previous?.value.reveal()).toBe('first-secret-value');
    await store.rollback({ name: 'p' });
    snapshot = await open(dir).read({ name: 'p' });
    expect(snapshot.current?.value.reveal()).toBe('first-secret-value');

    const raw = await readFile(join(dir, 'secrets.enc'), 'utf8');
    const journal = await readFile(join(dir, 'secrets.enc.journal'), 'utf8');
    expect(raw + journal).not.toContain('secret-value');
    expect(JSON.parse(raw)).toMatchObject({ format: 'rotad-file-store', version: 1 });
    expect((await stat(join(dir, 'secrets.enc'))).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, 'secrets.enc.journal'))).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, 'store.key'))).mode & 0o777).toBe(0o600);
  });

  it('returns "not found" as an empty idle snapshot, without needing a key', async () => {
    const dir = await tempDir();
    const snapshot = await open(dir, { env: 'ROTAD_TEST_UNSET_KEY', generate: false }).read({ name: 'nobody' });
    expect(snapshot).toMatchObject({ state: IDLE_STATE, current: undefined, pending: undefined });
  });

  it('refuses a wrong key with STORE_KEY_MISMATCH and leaves the file byte for byte unchanged', async () => {
    const dir = await tempDir();
    process.env.ROTAD_TEST_KEY_A = KEY_A;
    process.env.ROTAD_TEST_KEY_B = KEY_B;
    const right = open(dir, { env: 'ROTAD_TEST_KEY_A', generate: false });
    await right.stagePending({ name: 'p' }, credential('kept-secret-value', 'r1'));
    const before = await readFile(join(dir, 'secrets.enc'));
    const wrong = open(dir, { env: 'ROTAD_TEST_KEY_B', generate: false });
    await expect(wrong.ping()).rejects.toMatchObject({ code: 'STORE_KEY_MISMATCH', message: expect.stringMatching(/restore the key/) });
    await expect(wrong.stagePending({ name: 'q' }, credential('other-secret', 'r9'))).rejects.toMatchObject({ code: 'STORE_KEY_MISMATCH' });
    expect(await readFile(join(dir, 'secrets.enc'))).toEqual(before);
    expect((await right.read({ name: 'p' })).pending?.value.reveal()).toBe('kept-secret-value');
  });

  it('never generates a new key for an existing store', async () => {
    const dir = await tempDir();
    await open(dir).stagePending({ name: 'p' }, credential('secret-under-key-1', 'r1'));
    await writeFile(join(dir, 'moved.key'), await readFile(join(dir, 'store.key')));
    await unlink(join(dir, 'store.key'));
    await expect(open(dir).read({ name: 'p' })).rejects.toMatchObject({
      code: 'STORE_KEY_MISSING',
      message: expect.stringMatching(/must be restored, not replaced/),
    });
    expect((await open(dir, { file: 'moved.key', generate: false }).read({ name: 'p' })).pending?.value.reveal()).toBe('secret-under-key-1');
  });

  it('reports a damaged file as STORE_CORRUPT, not as a wrong key', async () => {
    const dir = await tempDir();
    await open(dir).stagePending({ name: 'p' }, credential('secret-to-damage', 'r1'));
    const envelope = JSON.parse(await readFile(join(dir, 'secrets.enc'), 'utf8'));
    envelope.data = Buffer.from('tampered').toString('base64');
    await writeFile(join(dir, 'secrets.enc'), JSON.stringify(envelope));
    await expect(open(dir).read({ name: 'p' })).rejects.toMatchObject({ code: 'STORE_CORRUPT' });
    await writeFile(join(dir, 'secrets.enc'), 'not json at all');
    await expect(open(dir).read({ name: 'p' })).rejects.toMatchObject({ code: 'STORE_CORRUPT' });
  });

  it('reports an unusable directory as STORE_UNREACHABLE with the path', async () => {
    const dir = await tempDir();
    await mkdir(join(dir, 'ro'));
    await writeFile(join(dir, 'ro', 'blocker'), '');
    const store = fileStore.create({ type: 'file', path: 'ro/blocker/secrets.enc', key: { file: 'k', generate: true } }, deps(dir));
    await expect(store.ping()).rejects.toMatchObject({ code: 'STORE_UNREACHABLE', message: expect.stringContaining('ro/blocker/secrets.enc') });
  });

  it('compare-and-swap on state: a stale revision loses with STORE_CONFLICT', async () => {
    const dir = await tempDir();
    const store = open(dir);
    const { revision } = await store.read({ name: 'p' });
    await store.writeState({ name: 'p' }, { ...IDLE_STATE, requestedAt: 1 }, revision);
    await expect(store.writeState({ name: 'p' }, { ...IDLE_STATE, requestedAt: 2 }, revision)).rejects.toMatchObject({ code: 'STORE_CONFLICT' });
    expect((await store.read({ name: 'p' })).state.requestedAt).toBe(1);
  });

  it('one writer: two engines with their own store handles race the same policy; exactly one rotation happens', async () => {
    for (let round = 0; round < 10; round += 1) {
      const dir = await tempDir();
      const runtimes = [0, 1].map(() => ({
        ...policyRuntime({
          store: open(dir),
          provider: randomProvider.create({ type: 'random', length: 32, alphabet: 'alphanumeric', encoding: 'raw' }),
          clock: new FakeClock(),
        }),
        clock: systemClock,
      }));
      const outcomes = await Promise.all(runtimes.map((r) => runRotation(r, 'schedule', new AbortController().signal)));
      expect(outcomes.map((o) => o.status).sort()).toEqual(['busy', 'completed']);
      const snapshot = await open(dir).read({ name: 'p' });
      expect(snapshot.state.history).toHaveLength(1);
      expect(snapshot.previous).toBeUndefined();
      expect(snapshot.pending).toBeUndefined();
    }
  });
});
