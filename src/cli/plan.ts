import { formatDuration } from '../duration.js';
import type { ResolvedPolicy } from '../config/normalize.js';
import type { PolicyRuntime } from '../rotation/context.js';
import type { PolicySnapshot } from '../stores/types.js';
import { expiryRotation, upcomingRuns } from '../timing/next-run.js';
import { describeError } from '../errors.js';
import { loadForCommand } from './config-arg.js';
import { openRuntime } from './open-runtime.js';
import { policyConfig } from '../wiring/runtime.js';
import { iso, out } from './output.js';
import { waitsFor } from '../control/waits-for.js';
import { selectPolicies } from '../control/select.js';
import type { Selector } from '../labels.js';

/** The steps a rotation of this policy would take, in order, adapted to the provider and consumers. */
function plannedSteps(policy: ResolvedPolicy, runtime: PolicyRuntime): string[] {
  const { provider } = runtime;
  return [
    `obtain: ${provider.steps.obtain}`,
    `stage: record it as pending in store ${policy.storeName}`,
    `verify: ${provider.steps.verify}`,
    `promote: make it current in store ${policy.storeName}; the old one becomes previous`,
    runtime.consumers.length > 0 ? `update consumers: ${runtime.consumers.map((c) => c.consumer.label).join('; ')}` : 'update consumers: none configured',
    `grace: wait ${formatDuration(policy.graceMs)} once ${runtime.consumers.length > 0 ? `all ${runtime.consumers.length} consumer(s) confirmed` : 'promoted'} (a minimum: revoke never starts before every consumer confirmed)`,
    `revoke: ${provider.steps.revoke}`,
    'complete: record the rotation time in the store',
  ];
}

/** The provider's expiry of the current credential and how far ahead rotad acts on it, in words. */
function describeExpiry(policy: ResolvedPolicy, snapshot: PolicySnapshot): string | undefined {
  const { current } = snapshot;
  const rotation = expiryRotation(policy.timing, current);
  if (current?.expiresAt === undefined || rotation === undefined) return undefined;
  const ahead = formatDuration(rotation.beforeMs);
  const why =
    rotation.lead === 'assist'
      ? `a person is asked ${ahead} ahead, so that the request's deadline (${formatDuration(policy.assist.deadlineMs)}) and one reminder after its escalation fall before it (rotateBefore ${policy.timing.rotateBefore?.text} would be later)`
      : rotation.lead === 'half-life'
        ? `half its lifetime, ${ahead} ahead: the credential lives too briefly for rotateBefore ${policy.timing.rotateBefore?.text}${policy.timing.assistLeadMs ? " and the request's deadline" : ''}`
        : `rotateBefore ${policy.timing.rotateBefore?.text}: ${ahead} ahead`;
  return `the provider says the current credential expires at ${iso(current.expiresAt)}; rotated at ${iso(rotation.at)}, ${why}`;
}

function describeState(snapshot: PolicySnapshot, now: number): string {
  const { state, current } = snapshot;
  const age = current ? `current credential ${formatDuration(now - current.createdAt)} old` : 'no credential yet';
  if (state.attention) return `needs attention (${state.attention.code} in ${state.attention.phase}): ${state.attention.message}; ${age}`;
  if (state.phase !== 'idle') return `rotation ${state.rotationId} in progress, next step ${state.phase}; ${age}`;
  return `idle; ${age}`;
}

/** One policy as `plan` reports it. */
interface PlannedPolicy {
  name: string;
  provider: string;
  store: string;
  state?: string | undefined;
  /** The next runs: when, and why (schedule, max-age, requested, …). */
  next: Array<{ at: string; reason: string; overdue: boolean }>;
  /** When nothing is due by itself: what it waits for. */
  waitsFor?: string | undefined;
  /** When the provider reports an expiry: when, and how far ahead rotad rotates (and why). */
  expiry?: string | undefined;
  steps: string[];
  error?: string | undefined;
}

async function planPolicy(policy: ResolvedPolicy, runtime: PolicyRuntime, now: number): Promise<PlannedPolicy> {
  const planned: PlannedPolicy = { name: policy.name, provider: policy.provider.type, store: policy.storeName, next: [], steps: plannedSteps(policy, runtime) };
  try {
    const snapshot = await runtime.store.read(runtime.ref);
    planned.state = describeState(snapshot, now);
    if (!policy.suspended)
      planned.next = upcomingRuns(policy.timing, snapshot.state, now, 3, snapshot.current).map((r) => ({
        at: iso(r.at),
        reason: r.reason,
        overdue: r.overdue,
      }));
    if (planned.next.length === 0) planned.waitsFor = waitsFor(policy, snapshot);
    planned.expiry = describeExpiry(policy, snapshot);
  } catch (error) {
    planned.error = `cannot read the store: ${describeError(error).message}`;
  }
  return planned;
}

/** `rotad plan`: for every policy, what would happen and when. Reads the stores, writes nothing. */
export async function planCommand(path: string, json: boolean, selector?: Selector): Promise<number> {
  const config = await loadForCommand(path, json, 'store');
  if (!config) return 2;
  const runtime = openRuntime(config);
  const now = Date.now();
  const plans: PlannedPolicy[] = [];
  try {
    for (const policy of selectPolicies(runtime.policies, { all: selector === undefined, selector }))
      plans.push(await planPolicy(policyConfig(runtime, policy.name), policy, now));
  } finally {
    await runtime.close();
  }
  if (json) out.line(JSON.stringify(plans, null, 2));
  else for (const plan of plans) renderPlan(plan);
  return plans.some((p) => p.error !== undefined) ? 1 : 0;
}

function renderPlan(plan: PlannedPolicy): void {
  out.line(`${plan.name} (${plan.provider} → store ${plan.store})`);
  if (plan.error !== undefined) {
    out.line(`  state: ${plan.error}`);
  } else {
    out.line(`  state: ${plan.state}`);
    const [first, ...then] = plan.next;
    out.line(
      first
        ? `  next: ${first.at} (${first.reason}${first.overdue ? ', overdue' : ''})${then.length > 0 ? `, then ${then.map((r) => r.at).join(', ')}` : ''}`
        : `  next: ${plan.waitsFor}`,
    );
    if (plan.expiry !== undefined) out.line(`  expiry: ${plan.expiry}`);
  }
  out.line('  would:');
  plan.steps.forEach((step, i) => out.line(`    ${i + 1}. ${step}`));
}
