import { writeFile } from 'node:fs/promises';
import { RotadError, StoreConflictError } from '../errors.js';
import { runningDaemonPid, wakeFilePath } from '../daemon/pid-file.js';
import type { PolicyRuntime } from '../rotation/context.js';
import { loadForCommand } from './config-arg.js';
import { openRuntime, selectPolicies } from './open-runtime.js';
import { out } from './output.js';

/** Records a manual request in the policy's state (compare-and-swap, retried on a lost race). */
async function request(policy: PolicyRuntime, now: number): Promise<void> {
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
 * `rotad rotate NAME…|--all`: the request is written to the store, so it survives a daemon restart,
 * then the running daemon is woken with SIGUSR2 plus a marker that says "requests only".
 */
export async function rotateCommand(path: string, names: string[], all: boolean): Promise<number> {
  const config = await loadForCommand(path);
  if (!config) return 2;
  if (names.length === 0 && !all) throw new RotadError('POLICY_NOT_FOUND', 'name at least one policy, or pass --all');
  const runtime = openRuntime(config);
  const now = Date.now();
  try {
    for (const policy of selectPolicies(runtime, names, all)) {
      await request(policy, now);
      out.line(`${policy.name}: rotation requested`);
    }
  } finally {
    await runtime.close();
  }
  const pid = await runningDaemonPid(config.daemon.stateDir);
  if (pid === undefined) {
    out.line(`no running daemon found for state directory ${config.daemon.stateDir}: the request is served when rotad run starts`);
    return 0;
  }
  await writeFile(wakeFilePath(config.daemon.stateDir), `${now}\n`, { mode: 0o600 });
  process.kill(pid, 'SIGUSR2');
  out.line(`daemon (pid ${pid}) notified; follow progress with rotad status`);
  return 0;
}
