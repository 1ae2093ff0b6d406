import { durationMs } from '../../duration-text.js';
import { RotadError } from '../../errors.js';
import type { KubernetesCluster, KubernetesObject, ObjectRef } from '../../vendors/kubernetes.js';
import type { ConsumerContext } from '../types.js';
import { rolloutDone } from './rollout-state.js';
import type { KubernetesRolloutConsumerOptions } from './schema.js';

const RESOURCES = { Deployment: 'deployments', StatefulSet: 'statefulsets', DaemonSet: 'daemonsets' } as const;
/** How often a rollout is looked at while rotad waits for it. */
const POLL_MS = 1_000;

const refOf = (kind: keyof typeof RESOURCES, namespace: string, name: string): ObjectRef => ({
  apiVersion: 'apps/v1',
  kind,
  resource: RESOURCES[kind],
  namespace,
  name,
});

/** Every workload the options name, resolved now (a selector may match more or fewer than last time). */
export async function workloadsOf(
  k8s: KubernetesCluster,
  options: Pick<KubernetesRolloutConsumerOptions, 'namespace' | 'workloads'>,
  signal: AbortSignal,
): Promise<ObjectRef[]> {
  const found: ObjectRef[] = [];
  for (const w of options.workloads) {
    if (w.name !== undefined) found.push(refOf(w.kind, options.namespace, w.name));
    else {
      const kind = { apiVersion: 'apps/v1', kind: w.kind, resource: RESOURCES[w.kind], namespace: options.namespace };
      for (const object of await k8s.list(kind, w.selector!, signal)) found.push(refOf(w.kind, options.namespace, object.metadata?.name ?? ''));
    }
  }
  return found;
}

/** Why pods of a workload are not ready, from the pods themselves: scheduling, image pulls, crashes. */
async function whyNotReady(k8s: KubernetesCluster, namespace: string, object: KubernetesObject, signal: AbortSignal): Promise<string> {
  const selector = (object.spec as { selector?: { matchLabels?: Record<string, string> } } | undefined)?.selector?.matchLabels ?? {};
  const labels = Object.entries(selector)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  const pods = labels ? await k8s.list({ apiVersion: 'v1', kind: 'Pod', resource: 'pods', namespace }, labels, signal) : [];
  const reasons = new Set<string>();
  for (const pod of pods) {
    const status = pod.status as
      | {
          conditions?: Array<{ type?: string; status?: string; reason?: string; message?: string }>;
          containerStatuses?: Array<{ state?: { waiting?: { reason?: string } } }>;
        }
      | undefined;
    const unscheduled = status?.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'False');
    if (unscheduled) reasons.add(`unschedulable (${unscheduled.message ?? unscheduled.reason ?? 'no node fits'})`);
    for (const container of status?.containerStatuses ?? []) if (container.state?.waiting?.reason) reasons.add(container.state.waiting.reason);
  }
  const conditions = (object.status as { conditions?: Array<{ type?: string; status?: string; message?: string }> } | undefined)?.conditions ?? [];
  for (const c of conditions) if (c.type === 'ReplicaFailure' && c.status === 'True' && c.message) reasons.add(c.message);
  return reasons.size > 0 ? [...reasons].slice(0, 3).join('; ') : 'pods not ready';
}

/**
 * Waits until every rollout has finished; past `timeout`, records a Warning event on the workload
 * that has not and throws (not retried: the old credential stays valid until a person fixes the
 * workload and runs rotad rotate).
 */
export async function waitForRollouts(k8s: KubernetesCluster, ctx: ConsumerContext, refs: ObjectRef[], timeout: string): Promise<void> {
  const deadline = ctx.clock.now() + durationMs(timeout);
  const pending = new Set(refs);
  ctx.logger.info({ workloads: refs.map((ref) => `${ref.kind}/${ref.namespace}/${ref.name}`), timeout }, 'Waiting for Kubernetes rollouts');
  for (;;) {
    for (const ref of [...pending]) {
      const object = await k8s.read(ref, ctx.signal);
      if (object === undefined) throw new RotadError('CONSUMER_FAILED', `${ref.kind} ${ref.namespace}/${ref.name} no longer exists`);
      if (rolloutDone(ref.kind, object).done) {
        pending.delete(ref);
        ctx.logger.info({ workload: `${ref.kind}/${ref.namespace}/${ref.name}` }, 'Kubernetes rollout finished');
      } else if (ctx.clock.now() >= deadline) {
        const why = await whyNotReady(k8s, ref.namespace, object, ctx.signal);
        const stalled = `rotad waits for this rollout before revoking the old credential of policy ${ctx.policy}: ${why}`;
        await k8s.event(ref, object.metadata?.uid, 'Warning', 'RolloutStalled', stalled, ctx.signal).catch(() => undefined);
        throw new RotadError(
          'CONSUMER_FAILED',
          `${ref.kind} ${ref.namespace}/${ref.name} did not finish its rollout within ${timeout} (${rolloutDone(ref.kind, object).progress}): ${why}; the old credential stays valid: fix the workload, then rotad rotate ${ctx.policy}`,
        );
      }
    }
    if (pending.size === 0) return;
    // The wait may outlast the lease: it is renewed between looks, and lost if another writer took the policy.
    await ctx.keepLease?.();
    await ctx.clock.sleep(POLL_MS);
    if (ctx.signal.aborted) throw ctx.signal.reason instanceof Error ? ctx.signal.reason : new Error('aborted');
  }
}
