import { writeFile } from 'node:fs/promises';
import { StoreConflictError } from '../errors.js';
import { runningDaemonPid, wakeFilePath } from '../daemon/pid-file.js';
import type { PolicyRuntime } from '../rotation/context.js';

/** Records a manual request in the policy's state (compare-and-swap, retried on a lost race). */
export async function recordRequest(policy: PolicyRuntime, now: number): Promise<void> {
  for (let attempt = 1; ; attempt += 1) {
    const snapshot = await policy.store.read(policy.ref);
    try {
      await policy.store.writeState(policy.ref, { ...snapshot.state, requestedAt: now }, snapshot.revision);
      return;
    } catch (error) {
      if (!(error instanceof StoreConflictError) || attempt >= 5) throw error;
    }
  }
}

/**
 * Wakes the running daemon with SIGUSR2 plus a marker that says "requests only". Returns its pid,
 * or undefined when none runs for this state directory (the request is then served at its start).
 */
export async function wakeDaemon(stateDir: string, now: number): Promise<number | undefined> {
  const pid = await runningDaemonPid(stateDir);
  if (pid === undefined) return undefined;
  await writeFile(wakeFilePath(stateDir), `${now}\n`, { mode: 0o600 });
  process.kill(pid, 'SIGUSR2');
  return pid;
}
