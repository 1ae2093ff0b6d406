import { requestRotations } from '../control/request-rotation.js';
import { loadForCommand } from './config-arg.js';
import { openRuntime, selectPolicies } from './open-runtime.js';
import { out } from './output.js';
import { wakeDaemon } from './wake-daemon.js';

/**
 * `rotad rotate NAME…|--all`: the request is written to the store, so it survives a daemon restart,
 * then the running daemon is woken with SIGUSR2 plus a marker that says "requests only".
 */
export async function rotateCommand(path: string, names: string[], all: boolean): Promise<number> {
  const config = await loadForCommand(path, false, 'store');
  if (!config) return 2;
  const runtime = openRuntime(config);
  const now = Date.now();
  try {
    for (const { policy, requested } of await requestRotations(config, selectPolicies(runtime, names, all), !all, now)) {
      out.line(requested ? `${policy}: rotation requested` : `${policy}: suspended (suspend: true), not requested`);
    }
  } finally {
    await runtime.close();
  }
  const woken = await wakeDaemon(config.daemon.stateDir, now, 'the request is served');
  out.line(woken.notified ? `${woken.message}; follow progress with rotad status` : woken.message);
  return 0;
}
