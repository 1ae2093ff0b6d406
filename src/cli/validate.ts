import { formatDuration } from '../duration.js';
import { IDLE_STATE } from '../rotation/state.js';
import { upcomingRuns } from '../scheduler/next-run.js';
import { loadForCommand } from './config-arg.js';
import { iso, out } from './output.js';

/** `rotad validate`: every problem as file:line:col, or OK and each policy's upcoming runs. */
export async function validateCommand(path: string): Promise<number> {
  const config = await loadForCommand(path);
  if (!config) return 2;
  const now = Date.now();
  out.line(`${path}: OK (${config.policies.length} ${config.policies.length === 1 ? 'policy' : 'policies'})`);
  for (const policy of config.policies) {
    const { schedule } = policy.timing;
    const described = schedule.kind === 'cron' ? `cron "${schedule.expression}" (${schedule.timezone})` : `every ${formatDuration(schedule.intervalMs)}`;
    const runs = upcomingRuns(policy.timing, { ...IDLE_STATE, lastRotatedAt: now }, now, 3).map((due) => iso(due.at));
    out.line(`  ${policy.name}: ${policy.provider.type} → store ${policy.storeName}; ${described}${policy.timing.maxAgeMs ? `, maxAge ${formatDuration(policy.timing.maxAgeMs)}` : ''}`);
    out.line(`    if rotated now, next runs: ${runs.join(', ')}`);
  }
  return 0;
}
