import { openRequest } from '../handover/request.js';
import { handOver } from '../handover/take-token.js';
import { suspendedError } from '../control/request-rotation.js';
import { refuse } from '../providers/submission.js';
import { Secret } from '../secret.js';
import { loadForCommand } from './config-arg.js';
import { selectPolicies } from '../control/select.js';
import { openRuntime } from './open-runtime.js';
import { out } from './output.js';
import { readToken } from './read-token.js';
import { wakeDaemon } from './wake-daemon.js';

/**
 * `rotad submit NAME`: a person hands over the token an assisted rotation asked for. It is checked
 * here (shape, then an authenticated call: a wrong token is refused with the reason and the request
 * stays open), staged as pending under the rotation's id, and the daemon is woken to carry on.
 */
export async function submitCommand(path: string, name: string, input: NodeJS.ReadStream): Promise<number> {
  const config = await loadForCommand(path);
  if (!config) return 2;
  const runtime = openRuntime(config);
  try {
    const policy = selectPolicies(runtime.policies, { names: [name] })[0]!;
    if (policy.settings.suspended) throw suspendedError([name], config.path);
    if (!policy.provider.assisted) throw refuse(`policy ${name} does not take tokens from a person: its provider creates them itself`);
    // Nothing is read from stdin when no token is asked for.
    openRequest(policy, await policy.store.read(policy.ref));
    const value = new Secret(await readToken(input, `Paste the new token for ${name} (input hidden), then press Enter: `));
    const outcome = await handOver(policy, value, config.daemon.retry, 'cli');
    if (!outcome.accepted) throw refuse(outcome.reason);
    out.line(`${name}: token accepted (verified with the provider) and staged for rotation ${outcome.rotationId}`);
    const woken = await wakeDaemon(config.daemon.stateDir, Date.now(), 'the rotation continues');
    out.line(
      woken.notified
        ? `${woken.message}; it promotes the token, updates the consumers and then deals with the old token. Follow it with rotad status`
        : woken.message,
    );
    return 0;
  } finally {
    await runtime.close();
  }
}
