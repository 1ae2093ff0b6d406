import { randomUUID } from 'node:crypto';
import { link, readFile, stat, unlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { RotadError } from '../../errors.js';
import type { Clock } from '../../clock.js';

/** What a lock file says about its holder. Written whole before the lock exists (see tryAcquire). */
interface Holder {
  pid: number;
  host: string;
  /** Unique per process: a lock naming this process's pid but another token was left by an earlier process with the same pid. */
  token: string;
}

const PROCESS_TOKEN = randomUUID();

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
  if (holder.pid === process.pid) {
    if (held.has(lockPath)) return undefined;
    return holder.token === PROCESS_TOKEN ? 'left by this process (a release that failed)' : 'left by an earlier process with this pid';
  }
  return isAlive(holder.pid) ? undefined : `holder ${holder.pid} is gone`;
}

/** How often a process waiting for the lock looks again. */
const POLL_MS = 15;
/**
 * The longest this process keeps the lock through a run of its own writes: then it lets go for
 * two poll intervals, so that a CLI command waiting beside a busy daemon gets its turn.
 */
const HOLD_LIMIT_MS = 500;

/** The lock paths this process holds right now. */
const held = new Set<string>();

/** This process's use of one lock path: its writers queue here before they touch the file. */
interface LockUse {
  /** The last turn queued; the next one starts when it settles. */
  tail: Promise<unknown>;
  /** Turns queued and not started. */
  waiting: number;
  /** A turn is running. */
  active: boolean;
  /** The draft the lock file was linked from, while this process holds it, and since when. */
  owned: Draft | undefined;
  ownedSince: number;
  /** After a long hold, this process does not take the lock again before this time (see HOLD_LIMIT_MS). */
  pauseUntil: number;
  /** The lock file being removed. */
  releasing: Promise<void> | undefined;
}
const uses = new Map<string, LockUse>();

/** This process's lock content for one lock path, in a file of its own (`<lock>.<pid>.<token>.draft`). */
interface Draft {
  path: string;
  ino: number;
}
const drafts = new Map<string, Promise<Draft>>();

function draftFor(lockPath: string): Promise<Draft> {
  let draft = drafts.get(lockPath);
  if (draft === undefined) {
    const path = `${lockPath}.${process.pid}.${PROCESS_TOKEN}.draft`;
    const holder: Holder = { pid: process.pid, host: hostname(), token: PROCESS_TOKEN };
    draft = writeFile(path, JSON.stringify(holder), { mode: 0o600 }).then(async () => ({ path, ino: (await stat(path)).ino }));
    drafts.set(lockPath, draft);
    draft.catch(() => drafts.delete(lockPath));
  }
  return draft;
}

/** Releases the lock if idle and removes this process's draft for `lockPath` (the store is closed); the next lock writes it again. */
export async function dropDraft(lockPath: string): Promise<void> {
  await releaseNow(lockPath);
  const draft = drafts.get(lockPath);
  drafts.delete(lockPath);
  if (draft) await unlink((await draft).path).catch(() => undefined);
}

/** Whether `name` (in the lock's directory) is a draft no running process will use: its pid is gone, or it is this pid's from an earlier process. */
export function isLeftoverDraft(name: string): boolean {
  const found = /\.lock\.(\d+)\.([0-9a-f-]+)\.draft$/.exec(name);
  if (!found) return false;
  const pid = Number(found[1]);
  return pid === process.pid ? found[2] !== PROCESS_TOKEN : !isAlive(pid);
}

/**
 * Creates the lock file with its content in one step: the process's draft, written once, is
 * hard-linked to the lock path (link fails if the lock exists). So a lock is never seen empty,
 * whatever instant the process is killed at, and taking it costs one system call.
 */
async function tryAcquire(lockPath: string, retried = false): Promise<Draft | undefined> {
  const pending = draftFor(lockPath);
  const draft = await pending;
  try {
    await link(draft.path, lockPath);
    return draft;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return undefined;
    if (code !== 'ENOENT' || retried) throw error;
    // The draft was removed meanwhile (a store on this path closed, as the old one does on a reload): written again.
    if (drafts.get(lockPath) === pending) drafts.delete(lockPath);
    return tryAcquire(lockPath, true);
  }
}

/**
 * Runs `work` while holding an exclusive lock file beside the store, so that the daemon and CLI
 * commands (`rotate`, `rollback`) never interleave their read-modify-write cycles. Writers of one
 * process queue in memory first, and a writer that comes while the lock is held by this process
 * (queued, or arriving within the same turn of the event loop, as the next write of a caller that
 * awaited the last one does) takes it over without releasing and taking it again. A lock whose
 * holder cannot be running (its pid is gone, or it names this process's pid with a token this
 * process never issued: a restarted container) is taken over, after checking that it is still the
 * same stale lock.
 */
export async function withFileLock<T>(lockPath: string, clock: Clock, work: () => Promise<T>, timeoutMs = 10_000): Promise<T> {
  let use = uses.get(lockPath);
  if (use === undefined) {
    use = { tail: Promise.resolve(), waiting: 0, active: false, owned: undefined, ownedSince: 0, pauseUntil: 0, releasing: undefined };
    uses.set(lockPath, use);
  }
  const current = use;
  current.waiting += 1;
  const run = () => lockedRun(current, lockPath, clock, work, timeoutMs);
  const turn = current.tail.then(run, run);
  current.tail = turn.catch(() => undefined);
  return turn;
}

async function lockedRun<T>(use: LockUse, lockPath: string, clock: Clock, work: () => Promise<T>, timeoutMs: number): Promise<T> {
  use.waiting -= 1;
  use.active = true;
  try {
    if (use.releasing) await use.releasing;
    if (!use.owned) {
      // Real time: the pause is about other processes, whatever clock the store runs on.
      if (use.pauseUntil > Date.now()) await new Promise((resolve) => setTimeout(resolve, use.pauseUntil - Date.now()));
      use.owned = await acquire(lockPath, clock, timeoutMs);
      use.ownedSince = Date.now();
      held.add(lockPath);
    }
    return await work();
  } finally {
    use.active = false;
    if (use.owned && Date.now() - use.ownedSince > HOLD_LIMIT_MS) {
      // Held through a long run of writes: let go, and stay away longer than another process's poll interval.
      use.pauseUntil = Date.now() + 2 * POLL_MS;
      await release(use, lockPath);
    } else {
      // Released once this turn of the event loop is over, unless another writer has come by then.
      setImmediate(() => releaseIfIdle(use, lockPath));
    }
  }
}

function releaseIfIdle(use: LockUse, lockPath: string): Promise<void> | undefined {
  return use.waiting > 0 ? use.releasing : release(use, lockPath);
}

/** Removes the lock file if this process holds it and no turn is running. */
function release(use: LockUse, lockPath: string): Promise<void> | undefined {
  if (use.active || !use.owned || use.releasing) return use.releasing;
  const draft = use.owned;
  use.owned = undefined;
  held.delete(lockPath);
  use.releasing = removeIfOurs(lockPath, draft).finally(() => {
    use.releasing = undefined;
  });
  return use.releasing;
}

/** Removes the lock file only if it is still ours: the same file as the draft it was linked from. */
async function removeIfOurs(lockPath: string, draft: Draft): Promise<void> {
  const ino = await stat(lockPath).then(
    (found) => found.ino,
    () => undefined,
  );
  if (ino === draft.ino) await unlink(lockPath).catch(() => undefined);
}

/** Releases the lock at once if this process holds it and nothing of it is running or queued (the store is closing). */
async function releaseNow(lockPath: string): Promise<void> {
  const use = uses.get(lockPath);
  if (use) await releaseIfIdle(use, lockPath);
}

async function acquire(lockPath: string, clock: Clock, timeoutMs: number): Promise<Draft> {
  const deadline = clock.now() + timeoutMs;
  for (;;) {
    const draft = await tryAcquire(lockPath);
    if (draft) return draft;
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
    await clock.sleep(POLL_MS);
  }
}
