import { RotadError } from '../errors.js';
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
  const suspended = new Set(config.policies.filter((p) => p.suspended).map((p) => p.name));
  const refused = names.filter((name) => suspended.has(name));
  if (refused.length > 0) throw suspendedError(refused, config.path);
  const runtime = openRuntime(config);
  const now = Date.now();
  try {
    for (const policy of selectPolicies(runtime, names, all)) {
      if (suspended.has(policy.name)) {
        out.line(`${policy.name}: suspended (suspend: true), not requested`);
        continue;
      }
      await recordRequest(policy, now);
      out.line(`${policy.name}: rotation requested`);
    }
  } finally {
    await runtime.close();
  }
  const woken = await wakeDaemon(config.daemon.stateDir, now, 'the request is served');
  out.line(woken.notified ? `${woken.message}; follow progress with rotad status` : woken.message);
  return 0;
}

/** A request for a suspended policy: refused, with what to do. */
export function suspendedError(names: readonly string[], configPath: string): RotadError {
  return new RotadError('POLICY_SUSPENDED', `${names.join(', ')} ${names.length === 1 ? 'is' : 'are'} suspended (suspend: true in ${configPath}): no rotation starts or goes on; remove suspend (the daemon reloads the file by itself), then ask again`);
}
