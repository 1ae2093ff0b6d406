import type { ResolvedConfig } from '../config/normalize.js';
import { RotadError } from '../errors.js';
import type { PolicyRuntime } from '../rotation/context.js';
import { recordRequest } from './update-state.js';

/** A request for a suspended policy: refused, with what to do. */
export function suspendedError(names: readonly string[], configPath: string): RotadError {
  return new RotadError(
    'POLICY_SUSPENDED',
    `${names.join(', ')} ${names.length === 1 ? 'is' : 'are'} suspended (suspend: true in ${configPath}): no rotation starts or goes on; remove suspend (the daemon reloads the file by itself), then ask again`,
  );
}

/**
 * Records a rotation request in each policy's state, where it survives a restart and every replica
 * sees it. Named suspended policies are refused before anything is written; with `all`, suspended
 * ones are skipped and reported. The caller wakes the daemon.
 */
export async function requestRotations(
  config: ResolvedConfig,
  policies: readonly PolicyRuntime[],
  named: boolean,
  now: number,
): Promise<Array<{ policy: string; requested: boolean }>> {
  const suspended = new Set(policies.filter((p) => p.settings.suspended).map((p) => p.name));
  const refused = named ? policies.filter((p) => suspended.has(p.name)).map((p) => p.name) : [];
  if (refused.length > 0) throw suspendedError(refused, config.path);
  const outcomes: Array<{ policy: string; requested: boolean }> = [];
  for (const policy of policies) {
    if (suspended.has(policy.name)) {
      outcomes.push({ policy: policy.name, requested: false });
      continue;
    }
    await recordRequest(policy, now);
    outcomes.push({ policy: policy.name, requested: true });
  }
  return outcomes;
}
