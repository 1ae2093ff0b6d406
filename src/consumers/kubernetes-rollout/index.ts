import type { AdapterDefinition, AdapterDeps } from '../../adapters/definition.js';
import { durationMs } from '../../duration-text.js';
import { RotadError } from '../../errors.js';
import type { KubernetesCluster, KubernetesObject, ObjectRef } from '../../vendors/kubernetes.js';
import { clusterFor, credentialFingerprint } from '../kubernetes-cluster.js';
import type { Consumer, ConsumerContext } from '../types.js';
import { rolloutDone } from './rollout-state.js';
import { KubernetesRolloutConsumerOptions } from './schema.js';

/** The pod-template annotation rotad sets: the credential's keyed fingerprint. The same credential sets the same value, so nothing restarts twice. */
export const TEMPLATE_ANNOTATION = 'rotad.dev/credential-fingerprint';

const RESOURCES = { Deployment: 'deployments', StatefulSet: 'statefulsets', DaemonSet: 'daemonsets' } as const;
/** How often a rollout is looked at while rotad waits for it. */
const POLL_MS = 1_000;

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

function createKubernetesRolloutConsumer(options: KubernetesRolloutConsumerOptions, deps: AdapterDeps): Consumer {
  const connect = clusterFor(options, deps.configDir);
  const refOf = (kind: keyof typeof RESOURCES, name: string): ObjectRef => ({
    apiVersion: 'apps/v1',
    kind,
    resource: RESOURCES[kind],
    namespace: options.namespace,
    name,
  });

  /** Every workload the options name, resolved now (a selector may match more or fewer than last time). */
  const targets = async (k8s: KubernetesCluster, signal: AbortSignal): Promise<ObjectRef[]> => {
    const found: ObjectRef[] = [];
    for (const w of options.workloads) {
      if (w.name !== undefined) found.push(refOf(w.kind, w.name));
      else
        for (const object of await k8s.list(
          { apiVersion: 'apps/v1', kind: w.kind, resource: RESOURCES[w.kind], namespace: options.namespace },
          w.selector!,
          signal,
        ))
          found.push(refOf(w.kind, object.metadata?.name ?? ''));
    }
    return found;
  };

  const waitFor = async (k8s: KubernetesCluster, ctx: ConsumerContext, refs: ObjectRef[]): Promise<void> => {
    const deadline = ctx.clock.now() + durationMs(options.rolloutTimeout);
    const pending = new Set(refs);
    for (;;) {
      for (const ref of [...pending]) {
        const object = await k8s.read(ref, ctx.signal);
        if (object === undefined) throw new RotadError('CONSUMER_FAILED', `${ref.kind} ${ref.namespace}/${ref.name} no longer exists`);
        if (rolloutDone(ref.kind, object).done) {
          pending.delete(ref);
          ctx.logger.info({ workload: `${ref.kind}/${ref.namespace}/${ref.name}` }, 'Kubernetes rollout finished');
        } else if (ctx.clock.now() >= deadline) {
          const why = await whyNotReady(k8s, ref.namespace, object, ctx.signal);
          const message = `${ref.kind} ${ref.namespace}/${ref.name} did not finish its rollout within ${options.rolloutTimeout} (${rolloutDone(ref.kind, object).progress}): ${why}`;
          await k8s
            .event(
              ref,
              object.metadata?.uid,
              'Warning',
              'RolloutStalled',
              `rotad waits for this rollout before revoking the old credential of policy ${ctx.policy}: ${why}`,
              ctx.signal,
            )
            .catch(() => undefined);
          // Not retried: the old credential stays valid until a person fixes the workload and runs rotad rotate.
          throw new RotadError('CONSUMER_FAILED', `${message}; the old credential stays valid: fix the workload, then rotad rotate ${ctx.policy}`);
        }
      }
      if (pending.size === 0) return;
      await ctx.clock.sleep(POLL_MS);
      if (ctx.signal.aborted) throw ctx.signal.reason instanceof Error ? ctx.signal.reason : new Error('aborted');
    }
  };

  return {
    label: `kubernetes-rollout ${options.namespace}: ${options.workloads.map((w) => `${w.kind} ${w.name ?? w.selector}`).join(', ')}`,
    update: async (ctx, credential) => {
      const k8s = await connect();
      const fingerprint = credentialFingerprint(ctx, credential.value);
      const refs = await targets(k8s, ctx.signal);
      for (const ref of refs) {
        const before = await k8s.read(ref, ctx.signal);
        if (before === undefined) throw new RotadError('CONSUMER_FAILED', `${ref.kind} ${ref.namespace}/${ref.name} does not exist`);
        const template = (before.spec as { template?: { metadata?: { annotations?: Record<string, string> } } } | undefined)?.template;
        if (template?.metadata?.annotations?.[TEMPLATE_ANNOTATION] === fingerprint) continue; // restarted for this credential already
        await k8s.apply(ref, { spec: { template: { metadata: { annotations: { [TEMPLATE_ANNOTATION]: fingerprint } } } } }, ctx.signal);
        ctx.logger.info({ workload: `${ref.kind}/${ref.namespace}/${ref.name}`, fingerprint }, 'Kubernetes workload restarted for the new credential');
        await k8s
          .event(
            ref,
            before.metadata?.uid,
            'Normal',
            'CredentialRolledOut',
            `rotad restarts it for the credential of policy ${ctx.policy} (rotation ${credential.rotationId}, fingerprint ${fingerprint})`,
            ctx.signal,
          )
          .catch(() => undefined);
      }
      await waitFor(k8s, ctx, refs);
    },
  };
}

export const kubernetesRolloutConsumer = {
  type: 'kubernetes-rollout',
  schema: KubernetesRolloutConsumerOptions,
  create: createKubernetesRolloutConsumer,
} satisfies AdapterDefinition<typeof KubernetesRolloutConsumerOptions, Consumer>;
