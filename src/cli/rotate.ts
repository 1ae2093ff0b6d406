import { loadForCommand } from './config-arg.js';
import { openRuntime, selectPolicies } from './open-runtime.js';
import { out } from './output.js';
import { recordRequest, wakeDaemon } from './wake-daemon.js';

/**
 * `rotad rotate NAME…|--all`: the request is written to the store, so it survives a daemon restart,
 * then the running daemon is woken with SIGUSR2 plus a marker that says "requests only".
 */
export async function rotateCommand(path: string, names: string[], all: boolean): Promise<number> {
  const config = await loadForCommand(path);
  if (!config) return 2;
  const runtime = openRuntime(config);
  const now = Date.now();
  try {
    for (const policy of selectPolicies(runtime, names, all)) {
      await recordRequest(policy, now);
      out.line(`${policy.name}: rotation requested`);
    }
  } finally {
    await runtime.close();
  }
  const pid = await wakeDaemon(config.daemon.stateDir, now);
  if (pid === undefined) {
    out.line(`no running daemon found for state directory ${config.daemon.stateDir}: the request is served when rotad run starts`);
    return 0;
  }
  out.line(`daemon (pid ${pid}) notified; follow progress with rotad status`);
  return 0;
}
