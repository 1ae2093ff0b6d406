import { readFile, unlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { RotadError } from '../../errors.js';
import { systemClock, type Clock } from '../../clock.js';
import { isAlive, withFileLock } from './lock.js';

/** How often a daemon renews its claim on a file store, and when an unrenewed claim is stale. */
export const CLAIM_RENEW_MS = 10_000;
export const CLAIM_STALE_MS = 3 * CLAIM_RENEW_MS;

interface Claim {
  owner: string;
  host: string;
  pid: number;
  renewedAt: number;
}

export function claimPath(storePath: string): string {
  return `${storePath}.daemon`;
}

async function readClaim(path: string): Promise<Claim | undefined> {
  const text = await readFile(path, 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as Claim;
  } catch {
    return undefined; // unreadable: treated as no claim
  }
}

/** Whether another daemon holds the claim now: a fresh renewal by a process that is not this one and not known dead. */
function heldByOther(claim: Claim, owner: string, now: number): boolean {
  if (claim.owner === owner || now - claim.renewedAt > CLAIM_STALE_MS) return false;
  if (claim.host !== hostname()) return true;
  // Same host (or the same pod after a container restart, where the new process may get the same pid).
  return claim.pid !== process.pid && isAlive(claim.pid);
}

/**
 * The file store serves one daemon. Several daemons on one file (replicas sharing a volume) would
 * each be correct under the file lock, but the store is built for one process and one machine:
 * a second daemon is refused at start with a message, and pointed at the stores made for
 * replicas. The claim is a small file beside the store, renewed every 10 s and removed at stop;
 * a daemon killed without removing it blocks others for at most 30 s (at once on its own host,
 * where rotad can see that the process is gone). It is read, judged and written under the
 * store's lock, so of daemons started at the same instant exactly one holds it. CLI commands do
 * not claim.
 */
export async function claimFileStore(storePath: string, owner: string, clock: Clock = systemClock): Promise<{ release(): Promise<void> }> {
  const path = claimPath(storePath);
  const lockPath = `${storePath}.lock`;
  const write = (): Promise<void> =>
    writeFile(path, JSON.stringify({ owner, host: hostname(), pid: process.pid, renewedAt: Date.now() } satisfies Claim), { mode: 0o600 });
  await withFileLock(lockPath, clock, async () => {
    const now = Date.now();
    const existing = await readClaim(path);
    if (existing && heldByOther(existing, owner, now)) {
      throw new RotadError(
        'STORE_BUSY',
        `file store ${storePath} is used by another rotad daemon (${existing.host}, pid ${existing.pid}, renewed ${Math.round((now - existing.renewedAt) / 1000)} s ago): the file store serves one daemon. Stop the other one, or for several replicas use a vault or aws-secrets-manager store`,
      );
    }
    await write();
  });
  // A renewal writes only a claim that is still this daemon's (one that lapsed and was taken stays taken).
  const renew = (): Promise<void> =>
    withFileLock(lockPath, clock, async () => {
      if ((await readClaim(path))?.owner === owner) await write();
    });
  const timer = setInterval(() => void renew().catch(() => undefined), CLAIM_RENEW_MS);
  timer.unref();
  return {
    release: async () => {
      clearInterval(timer);
      await withFileLock(lockPath, clock, async () => {
        if ((await readClaim(path))?.owner === owner) await unlink(path).catch(() => undefined);
      }).catch(() => undefined);
    },
  };
}
