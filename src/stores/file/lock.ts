import { randomUUID } from 'node:crypto';
import { link, readFile, stat, unlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { RotadError } from '../../errors.js';
import type { Clock } from '../../clock.js';

/** What a lock file says about its holder. Written whole before the lock exists (see acquire). */
interface Holder {
  pid: number;
  host: string;
  /** Unique per acquisition: a lock naming this process's pid but another token was left by an earlier process with the same pid. */
  token: string;
}

/** A lock file that cannot be read as a holder (an older format, or damaged) is stale once this old. */
const UNREADABLE_STALE_MS = 10_000;

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function readHolder(lockPath: string): Promise<{ text: string; holder?: Holder | undefined } | undefined> {
  const text = await readFile(lockPath, 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  try {
    const parsed = JSON.parse(text) as Partial<Holder>;
    if (typeof parsed.pid === 'number' && typeof parsed.host === 'string' && typeof parsed.token === 'string') return { text, holder: parsed as Holder };
  } catch {
    // not JSON: judged by age below
  }
  return { text };
}

/** Why the lock at `lockPath` is stale (its holder cannot be running), or undefined if it may be held. */
async function staleReason(lockPath: string, found: { text: string; holder?: Holder | undefined }, clock: Clock): Promise<string | undefined> {
  const { holder } = found;
  if (!holder) {
    const age = await stat(lockPath).then(
      (s) => clock.now() - s.mtimeMs,
      () => 0,
    );
    return age > UNREADABLE_STALE_MS ? 'unreadable and old' : undefined;
  }
  if (holder.host !== hostname()) return undefined; // another machine: its processes cannot be checked from here
  if (holder.pid === process.pid) return held.has(holder.token) ? undefined : 'left by an earlier process with this pid';
  return isAlive(holder.pid) ? undefined : `holder ${holder.pid} is gone`;
}

/** Tokens of the locks this process holds right now. */
const held = new Set<string>();
/** One queue per lock path: this process's own writers take turns before they touch the file. */
const queues = new Map<string, Promise<unknown>>();

/**
 * Creates the lock file with its content in one step: written to a private file first, then
 * hard-linked to the lock path (link fails if the lock exists). So a lock is never seen empty,
 * whatever instant the process is killed at.
 */
async function tryAcquire(lockPath: string, holder: Holder): Promise<boolean> {
  const draft = `${lockPath}.${holder.pid}.${holder.token}.draft`;
  await writeFile(draft, JSON.stringify(holder), { mode: 0o600 });
  try {
    await link(draft, lockPath);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return false;
  } finally {
    await unlink(draft).catch(() => undefined);
  }
}

/**
 * Runs `work` while holding an exclusive lock file beside the store, so that the daemon and CLI
 * commands (`rotate`, `rollback`) never interleave their read-modify-write cycles. Writers of one
 * process queue in memory first. A lock whose holder cannot be running (its pid is gone, or it
 * names this process's pid with a token this process never issued: a restarted container) is
 * taken over, after checking that it is still the same stale lock.
 */
export async function withFileLock<T>(lockPath: string, clock: Clock, work: () => Promise<T>, timeoutMs = 10_000): Promise<T> {
  const before = queues.get(lockPath) ?? Promise.resolve();
  const turn = before.then(
    () => lockedRun(lockPath, clock, work, timeoutMs),
    () => lockedRun(lockPath, clock, work, timeoutMs),
  );
  const settled = turn.catch(() => undefined);
  queues.set(lockPath, settled);
  void settled.then(() => {
    if (queues.get(lockPath) === settled) queues.delete(lockPath);
  });
  return turn;
}

async function lockedRun<T>(lockPath: string, clock: Clock, work: () => Promise<T>, timeoutMs: number): Promise<T> {
  const holder: Holder = { pid: process.pid, host: hostname(), token: randomUUID() };
  const deadline = clock.now() + timeoutMs;
  for (;;) {
    if (await tryAcquire(lockPath, holder)) break;
    const found = await readHolder(lockPath);
    if (found === undefined) continue; // released meanwhile
    const stale = await staleReason(lockPath, found, clock);
    if (stale !== undefined) {
      // Take it over only if it is still the lock judged stale (another process may have done so first).
      const again = await readFile(lockPath, 'utf8').catch(() => undefined);
      if (again === found.text) await unlink(lockPath).catch(() => undefined);
      continue;
    }
    if (clock.now() > deadline) {
      const who = found.holder ? `process ${found.holder.pid} on ${found.holder.host}` : 'an unknown process';
      throw new RotadError('STORE_BUSY', `store lock ${lockPath} is held by ${who}; if no rotad runs there, remove the lock file`, { retryable: true });
    }
    await clock.sleep(15);
  }
  held.add(holder.token);
  try {
    return await work();
  } finally {
    held.delete(holder.token);
    // Remove it only if it is still ours.
    if ((await readHolder(lockPath))?.holder?.token === holder.token) await unlink(lockPath).catch(() => undefined);
  }
}
