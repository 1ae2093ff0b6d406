import { formatDuration } from '../duration.js';
import type { ResolvedPolicy } from '../config/normalize.js';
import { IDLE_STATE } from '../policy-state.js';
import { upcomingRuns } from '../timing/next-run.js';
import { loadForCommand } from './config-arg.js';
import { iso, out } from './output.js';

/** One policy as `validate` reports it. */
interface ValidatedPolicy {
  name: string;
  provider: string;
  store: string;
  schedule: string;
  maxAge?: string | undefined;
  /** If the policy were rotated now, its next three runs. */
  nextRuns: string[];
}

function describePolicy(policy: ResolvedPolicy, now: number): ValidatedPolicy {
  const { schedule } = policy.timing;
  return {
    name: policy.name,
    provider: policy.provider.type,
    store: policy.storeName,
    schedule:
      schedule.kind === 'cron'
        ? `cron "${schedule.expression}" (${schedule.timezone})`
        : schedule.kind === 'every'
          ? `every ${formatDuration(schedule.intervalMs)}`
          : 'manual (on request, at maxAge and before expiry)',
    maxAge: policy.timing.maxAgeMs ? formatDuration(policy.timing.maxAgeMs) : undefined,
    nextRuns: upcomingRuns(policy.timing, { ...IDLE_STATE, lastRotatedAt: now }, now, 3).map((due) => iso(due.at)),
  };
}

/** `rotad validate`: every problem as file:line:col, or OK and each policy's upcoming runs. */
export async function validateCommand(path: string, json: boolean): Promise<number> {
  const config = await loadForCommand(path, json);
  if (!config) return 2;
  const now = Date.now();
  const policies = config.policies.map((policy) => describePolicy(policy, now));
  if (json) {
    out.line(JSON.stringify({ ok: true, file: path, policies }, null, 2));
    return 0;
  }
  out.line(`${path}: OK (${policies.length} ${policies.length === 1 ? 'policy' : 'policies'})`);
  for (const p of policies) {
    out.line(`  ${p.name}: ${p.provider} → store ${p.store}; ${p.schedule}${p.maxAge ? `, maxAge ${p.maxAge}` : ''}`);
    out.line(`    if rotated now, next runs: ${p.nextRuns.length > 0 ? p.nextRuns.join(', ') : 'none by schedule (on request, at maxAge or before expiry)'}`);
  }
  return 0;
}
