import { PHASES } from '../policy-state.js';
import type { FaultHook } from '../rotation/context.js';

/**
 * TEST ONLY. `ROTAD_TEST_KILL_AT=before:promote` (or `after:<phase>`) makes the daemon kill itself
 * with SIGKILL at that phase boundary, so the crash-resume tests can stop it at every step.
 * Unset in production; an unknown value is ignored.
 */
export function faultHookFromEnv(env: NodeJS.ProcessEnv): FaultHook | undefined {
  const spec = env.ROTAD_TEST_KILL_AT;
  if (!spec) return undefined;
  const [moment, phase] = spec.split(':');
  if ((moment !== 'before' && moment !== 'after') || !(PHASES as readonly string[]).includes(phase ?? '')) return undefined;
  return (when, at) => {
    if (when === moment && at === phase) process.kill(process.pid, 'SIGKILL');
  };
}
