import { open, readFile, unlink } from 'node:fs/promises';
import { RotadError } from '../../errors.js';
import type { Clock } from '../../clock.js';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Runs `work` while holding an exclusive lock file beside the store, so that the daemon and CLI
 * commands (`rotate`, `rollback`) never interleave their read-modify-write cycles. A lock left by
 * a process that no longer exists (e.g. killed with SIGKILL) is taken over.
 */
export async function withFileLock<T>(lockPath: string, clock: Clock, work: () => Promise<T>, timeoutMs = 10_000): Promise<T> {
  const deadline = clock.now() + timeoutMs;
  for (;;) {
    try {
      const handle = await open(lockPath, 'wx', 0o600);
      await handle.writeFile(String(process.pid));
      await handle.close();
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = Number((await readFile(lockPath, 'utf8').catch(() => '')).trim());
    if (Number.isInteger(holder) && holder > 0 && !isAlive(holder)) {
      await unlink(lockPath).catch(() => undefined);
      continue;
    }
    if (clock.now() > deadline) {
      throw new RotadError('STORE_BUSY', `store lock ${lockPath} is held by process ${holder || 'unknown'}`, { retryable: true });
    }
    await clock.sleep(15);
  }
  try {
    return await work();
  } finally {
    await unlink(lockPath).catch(() => undefined);
  }
}
