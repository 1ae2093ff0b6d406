import { formatDuration } from '../duration.js';
import type { ResolvedPolicy } from '../config/normalize.js';
import type { PolicyRuntime } from '../rotation/context.js';
import type { PolicySnapshot } from '../stores/types.js';
import { upcomingRuns } from '../scheduler/next-run.js';
import { describeError } from '../errors.js';
import { loadForCommand } from './config-arg.js';
import { openRuntime } from './open-runtime.js';
import { iso, out } from './output.js';

/** The steps a rotation of this policy would take, in order, adapted to the provider and consumers. */
export function plannedSteps(policy: ResolvedPolicy, runtime: PolicyRuntime): string[] {
  const { provider } = runtime;
  return [
    `obtain: ${provider.steps.obtain}`,
    `stage: record it as pending in store ${policy.storeName}`,
    `verify: ${provider.steps.verify}`,
    `promote: make it current in store ${policy.storeName}; the old one becomes previous`,
    runtime.consumers.length > 0 ? `update consumers: ${runtime.consumers.map((c) => c.consumer.label).join('; ')}` : 'update consumers: none configured',
    `grace: wait ${formatDuration(policy.graceMs)}`,
    `revoke: ${provider.steps.revoke}`,
    'complete: record the rotation time in the store',
  ];
}

function describeState(snapshot: PolicySnapshot, now: number): string {
  const { state, current } = snapshot;
  const age = current ? `current credential ${formatDuration(now - current.createdAt)} old` : 'no credential yet';
  if (state.attention) return `needs attention (${state.attention.code} in ${state.attention.phase}): ${state.attention.message}; ${age}`;
  if (state.phase !== 'idle') return `rotation ${state.rotationId} in progress, next step ${state.phase}; ${age}`;
  return `idle; ${age}`;
}

/** `rotad plan`: for every policy, what would happen and when. Reads the stores, writes nothing. */
export async function planCommand(path: string): Promise<number> {
  const config = await loadForCommand(path);
  if (!config) return 2;
  const runtime = openRuntime(config);
  const now = Date.now();
  let failed = false;
  try {
    for (const policy of config.policies) {
      const policyRuntime = runtime.policies.get(policy.name)!;
      out.line(`${policy.name} (${policy.provider.type} → store ${policy.storeName})`);
      try {
        const snapshot = await policyRuntime.store.read(policyRuntime.ref);
        out.line(`  state: ${describeState(snapshot, now)}`);
        const runs = upcomingRuns(policy.timing, snapshot.state, now, 3);
        const first = runs[0];
        out.line(first ? `  next: ${iso(first.at)} (${first.reason}${first.overdue ? ', overdue' : ''})${runs.length > 1 ? `, then ${runs.slice(1).map((r) => iso(r.at)).join(', ')}` : ''}` : '  next: waits for a person (`rotad rotate` or `rotad rollback`)');
      } catch (error) {
        failed = true;
        out.line(`  state: cannot read the store: ${describeError(error).message}`);
      }
      out.line('  would:');
      plannedSteps(policy, policyRuntime).forEach((step, i) => out.line(`    ${i + 1}. ${step}`));
    }
  } finally {
    await runtime.close();
  }
  return failed ? 1 : 0;
}
