import { consumerContext, providerContext } from '../rotation/call-context.js';
import type { ResolvedConfig, ResolvedPolicy } from '../config/normalize.js';
import { describeError } from '../errors.js';
import { silentLogger } from '../observability/logger.js';
import type { PolicyRuntime } from '../rotation/context.js';
import { leaseOfOther } from '../rotation/lease.js';
import { writeOnSnapshot } from '../stores/state-writes.js';
import type { PolicySnapshot } from '../stores/types.js';
import { loadForCommand } from './config-arg.js';
import { selectPolicies } from '../control/select.js';
import { openRuntime } from './open-runtime.js';
import { policyConfig } from '../wiring/runtime.js';
import { out } from './output.js';

/** One line of `rotad check`: a part of a policy (or a notifier) and whether it passed. */
interface CheckResult {
  policy: string;
  part: 'store' | 'provider' | 'consumer' | 'notifier';
  name: string;
  result: 'ok' | 'failed' | 'skipped';
  detail: string;
}

type Part = Omit<CheckResult, 'policy' | 'part' | 'name'>;

async function attempt(run: () => Promise<string>): Promise<Part> {
  try {
    return { result: 'ok', detail: await run() };
  } catch (error) {
    const { code, message } = describeError(error);
    return { result: 'failed', detail: `${code}: ${message}` };
  }
}

/**
 * The store: reachable, readable, and rotad may write its state record there. The record is
 * written back unchanged with compare-and-swap (nothing applications read changes); skipped while
 * a daemon works on the policy, so that the check never makes it lose a race.
 */
async function checkStore(policy: PolicyRuntime): Promise<{ part: Part; snapshot?: PolicySnapshot | undefined }> {
  let snapshot: PolicySnapshot | undefined;
  const part = await attempt(async () => {
    await policy.store.ping();
    snapshot = await policy.store.read(policy.ref);
    if (snapshot.state.phase !== 'idle' || leaseOfOther(snapshot.state, policy.owner, Date.now())) {
      return `reachable and readable; a rotation is in progress, so the write check was left out`;
    }
    if (!(await writeOnSnapshot(policy, snapshot, snapshot.state))) return 'reachable and readable; a daemon wrote meanwhile, so the write check was left out';
    return 'reachable; the state record is readable and writable (written back unchanged)';
  });
  return { part, snapshot };
}

/** The provider still accepts the current credential (an authenticated read, nothing created). */
async function checkProvider(policy: PolicyRuntime, snapshot: PolicySnapshot | undefined): Promise<Part> {
  if (snapshot === undefined) return { result: 'skipped', detail: 'the store could not be read, so there is no credential to check' };
  const { current } = snapshot;
  if (!current) return { result: 'skipped', detail: 'no credential yet: the first rotation obtains one' };
  const ctx = providerContext(policy, current.rotationId, AbortSignal.timeout(60_000), silentLogger());
  return attempt(async () => {
    await policy.provider.verify(ctx, current);
    return `the current credential (rotation ${current.rotationId}${current.id ? `, id ${current.id}` : ''}) is accepted`;
  });
}

/** rotad's own access to the provider, where the provider can say (a database's manager account, an IAM identity). */
async function checkProviderAccess(policy: PolicyRuntime): Promise<Part | undefined> {
  const { check } = policy.provider;
  if (!check) return undefined;
  return attempt(() => check(providerContext(policy, 'check', AbortSignal.timeout(60_000), silentLogger())));
}

async function checkPolicy(policy: PolicyRuntime, resolved: ResolvedPolicy): Promise<CheckResult[]> {
  const row = (part: CheckResult['part'], name: string, found: Part): CheckResult => ({ policy: policy.name, part, name, ...found });
  // The record the store check read is the one whose credential the provider check verifies.
  const store = await checkStore(policy);
  const results = [row('store', resolved.storeName, store.part), row('provider', resolved.provider.type, await checkProvider(policy, store.snapshot))];
  const access = await checkProviderAccess(policy);
  if (access) results.push(row('provider', `${resolved.provider.type} access`, access));
  for (const { consumer } of policy.consumers) {
    const ctx = consumerContext(policy, 'check', AbortSignal.timeout(60_000), silentLogger());
    const found: Part = consumer.check
      ? await attempt(() => consumer.check!(ctx))
      : { result: 'skipped', detail: 'this consumer has no check that changes nothing' };
    results.push(row('consumer', consumer.label, found));
  }
  return results;
}

/** Every notifier's settings and the secrets it names were checked when the config was loaded. */
function checkNotifiers(config: ResolvedConfig): CheckResult[] {
  return Object.entries(config.notifiers).map(([name, options]) => ({
    policy: '-',
    part: 'notifier',
    name: `${name} (${options.type})`,
    result: 'ok',
    detail: 'settings valid and the environment it names is set',
  }));
}

/**
 * `rotad check [NAME…]`: a live, read-only preflight of every policy (or those named): the store
 * is reachable and rotad may write its state there, the provider accepts the current credential,
 * each consumer can be reached with its own credentials, each notifier's settings are present.
 * Exit 0 only when nothing failed.
 */
export async function checkCommand(path: string, names: string[], json: boolean): Promise<number> {
  const config = await loadForCommand(path, json);
  if (!config) return 2;
  const runtime = openRuntime(config);
  const results: CheckResult[] = [];
  try {
    for (const policy of selectPolicies(runtime.policies, { names, all: names.length === 0 })) {
      results.push(...(await checkPolicy(policy, policyConfig(runtime, policy.name))));
    }
  } finally {
    await runtime.close();
  }
  results.push(...checkNotifiers(config));
  const failed = results.filter((r) => r.result === 'failed').length;
  if (json) {
    out.line(JSON.stringify({ ok: failed === 0, results }, null, 2));
  } else {
    const table = [['POLICY', 'PART', 'NAME', 'RESULT', 'DETAIL'], ...results.map((r) => [r.policy, r.part, r.name, r.result.toUpperCase(), r.detail])];
    const widths = table[0]!.slice(0, 4).map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
    for (const row of table)
      out.line(
        row
          .map((cell, i) => (i < 4 ? cell.padEnd(widths[i]!) : cell))
          .join('  ')
          .trimEnd(),
      );
    out.line(`\n${failed === 0 ? 'every check passed' : `${failed} check(s) failed`}`);
  }
  return failed === 0 ? 0 : 1;
}
