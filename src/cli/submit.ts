import { systemClock } from '../clock.js';
import { RotadError } from '../errors.js';
import { silentLogger } from '../observability/logger.js';
import { refuse } from '../providers/submission.js';
import { withRetry } from '../rotation/retry.js';
import { Secret } from '../secret.js';
import { loadForCommand } from './config-arg.js';
import { openRuntime, selectPolicies } from './open-runtime.js';
import { out } from './output.js';
import { readToken } from './read-token.js';
import { suspendedError } from './rotate.js';
import { recordRequest, updateState, wakeDaemon } from './wake-daemon.js';

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
    const policy = selectPolicies(runtime, [name], false)[0]!;
    if (config.policies.find((p) => p.name === name)?.suspended) throw suspendedError([name], config.path);
    const { provider, store, ref } = policy;
    if (!provider.assisted) throw refuse(`policy ${name} does not take tokens from a person: its provider creates them itself`);
    const snapshot = await store.read(ref);
    const { state } = snapshot;
    const rotationId = state.rotationId;
    if (snapshot.pending?.rotationId === rotationId && rotationId !== undefined) throw refuse(`a token for rotation ${rotationId} was already handed over; follow it with rotad status`);
    if (state.phase !== 'obtain' || state.assist?.action !== 'create' || rotationId === undefined) {
      throw refuse(`no token is being asked for policy ${name} (phase ${state.phase}); rotad rotate ${name} starts a rotation`);
    }
    const value = new Secret(await readToken(input, `Paste the new token for ${name} (input hidden), then press Enter: `));
    const ctx = { policy: name, rotationId, logger: silentLogger(), clock: systemClock, signal: new AbortController().signal };
    const retry = { ...config.daemon.retry, attempts: Math.min(3, config.daemon.retry.attempts), maxDelayMs: Math.min(10_000, config.daemon.retry.maxDelayMs) };
    let fresh;
    try {
      fresh = await withRetry(() => provider.assisted!.accept(ctx, value, snapshot.current), retry, { clock: systemClock, signal: ctx.signal });
    } catch (error) {
      if (error instanceof RotadError && error.code === 'SUBMISSION_REFUSED') {
        // The daemon rewrites this state at each look, so the refusal is merged in with retries, not dropped on a lost race.
        await updateState(policy, (now) => (now.rotationId === rotationId && now.assist?.action === 'create' ? { ...now, assist: { ...now.assist, refusal: error.message } } : undefined));
      }
      throw error;
    }
    const now = Date.now();
    await store.stagePending(ref, { ...fresh, rotationId, createdAt: now });
    await recordRequest(policy, now);
    out.line(`${name}: token accepted (verified with the provider) and staged for rotation ${rotationId}`);
    const woken = await wakeDaemon(config.daemon.stateDir, now, 'the rotation continues');
    out.line(woken.notified ? `${woken.message}; it promotes the token, updates the consumers and then deals with the old token. Follow it with rotad status` : woken.message);
    return 0;
  } finally {
    await runtime.close();
  }
}
