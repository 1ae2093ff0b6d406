import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/clock.js';
import { RotadError, StoreConflictError } from '../../src/errors.js';
import { silentLogger } from '../../src/observability/logger.js';
import { fileStore } from '../../src/stores/file/index.js';
import { updateState, writeOnSnapshot } from '../../src/stores/state-writes.js';
import type { PolicyRef, PolicySnapshot, Store } from '../../src/stores/types.js';
import { tempDir } from '../helpers/workspace.js';

const ref: PolicyRef = { name: 'p' };
const opened: Store[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((s) => s.close()));
});

async function openStore(): Promise<Store> {
  const dir = await tempDir();
  const store = fileStore.create(
    { type: 'file', path: join(dir, 'secrets.enc'), key: { file: join(dir, 'store.key'), generate: true } },
    { logger: silentLogger(), clock: systemClock, configDir: dir },
  );
  opened.push(store);
  return store;
}

/** The store, with `before` run ahead of each of the first `times` state writes: another writer, or a failing store. */
function interfered(store: Store, times: number, before: () => Promise<void>): Store & { writes: number } {
  let writes = 0;
  return new Proxy(store, {
    get(target, key) {
      if (key === 'writes') return writes;
      if (key !== 'writeState') {
        const value = Reflect.get(target, key) as unknown;
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      }
      return async (...args: Parameters<Store['writeState']>) => {
        writes += 1;
        if (writes <= times) await before();
        return target.writeState(...args);
      };
    },
  }) as Store & { writes: number };
}

describe('state writes outside the engine: on the snapshot read, or a conflict', () => {
  it('writeOnSnapshot writes on a fresh snapshot and answers undefined on a stale one, changing nothing', async () => {
    const store = await openStore();
    const read = await store.read(ref);
    const written = await writeOnSnapshot({ store, ref }, read, { ...read.state, requestedAt: 1 });
    expect(written?.state.requestedAt).toBe(1);
    expect(await writeOnSnapshot({ store, ref }, read, { ...read.state, requestedAt: 2 })).toBeUndefined();
    expect((await store.read(ref)).state.requestedAt).toBe(1);
  });

  it('updateState reads again after each lost race and changes what another writer left', async () => {
    const store = await openStore();
    let other = 0;
    const racing = interfered(store, 2, async () => {
      const now = await store.read(ref);
      await store.writeState(ref, { ...now.state, alertsSent: [...now.state.alertsSent, `other-${++other}`] }, now.revision);
    });
    const seen: string[][] = [];
    const after = await updateState(
      { store: racing, ref },
      (snapshot) => {
        seen.push(snapshot.state.alertsSent);
        return { ...snapshot.state, requestedAt: 42 };
      },
      { attempts: 5 },
    );
    expect(seen).toEqual([[], ['other-1'], ['other-1', 'other-2']]);
    expect(after.state).toMatchObject({ requestedAt: 42, alertsSent: ['other-1', 'other-2'] });
    expect((await store.read(ref)).revision).toBe(after.revision);
  });

  it('updateState, out of tries: throws a conflict naming the policy, or gives up with the last snapshot', async () => {
    const store = await openStore();
    const steal = async (): Promise<void> => {
      const now = await store.read(ref);
      await store.writeState(ref, { ...now.state }, now.revision);
    };
    const change = (s: PolicySnapshot) => ({ ...s.state, requestedAt: 7 });
    await expect(updateState({ store: interfered(store, 10, steal), ref }, change, { attempts: 3 })).rejects.toThrow(
      new StoreConflictError('state of policy p kept changing: 3 writes lost their race'),
    );
    const gaveUp = await updateState({ store: interfered(store, 10, steal), ref }, change, { attempts: 2, onFailedWrite: 'give-up' });
    expect(gaveUp.state.requestedAt).toBeUndefined();
    expect((await store.read(ref)).state.requestedAt).toBeUndefined();
  });

  it('updateState: a store error that may pass is tried again up to transientAttempts; one that will not is thrown at once', async () => {
    const store = await openStore();
    const unreachable = async (): Promise<void> => {
      throw new RotadError('STORE_UNREACHABLE', 'store down', { retryable: true });
    };
    const flaky = interfered(store, 2, unreachable);
    const after = await updateState({ store: flaky, ref }, (s) => ({ ...s.state, requestedAt: 9 }), { attempts: 5, transientAttempts: 3 });
    expect(after.state.requestedAt).toBe(9);
    expect(flaky.writes).toBe(3);
    const down = interfered(store, 5, unreachable);
    await expect(updateState({ store: down, ref }, (s) => ({ ...s.state, requestedAt: 10 }), { attempts: 5, transientAttempts: 3 })).rejects.toThrow(
      'store down',
    );
    expect(down.writes).toBe(3);
    const corrupt = interfered(store, 5, async () => {
      throw new RotadError('STORE_CORRUPT', 'unreadable');
    });
    await expect(updateState({ store: corrupt, ref }, (s) => ({ ...s.state, requestedAt: 11 }), { attempts: 5, transientAttempts: 3 })).rejects.toThrow(
      'unreadable',
    );
    expect(corrupt.writes).toBe(1);
    // `change` answering undefined leaves the state alone, with no write.
    const untouched = interfered(store, 0, async () => undefined);
    expect((await updateState({ store: untouched, ref }, () => undefined, { attempts: 5 })).state.requestedAt).toBe(9);
    expect(untouched.writes).toBe(0);
  });
});
