import type { AdapterDefinition, AdapterDeps } from '../../adapters/definition.js';
import { RotadError } from '../../errors.js';
import { clusterFor, credentialFingerprint } from '../kubernetes-cluster.js';
import type { Consumer } from '../types.js';
import { waitForRollouts, workloadsOf } from './rollouts.js';
import { KubernetesRolloutConsumerOptions } from './schema.js';

/** The pod-template annotation rotad sets: the credential's keyed fingerprint. The same credential sets the same value, so nothing restarts twice. */
export const TEMPLATE_ANNOTATION = 'rotad.dev/credential-fingerprint';

function createKubernetesRolloutConsumer(options: KubernetesRolloutConsumerOptions, deps: AdapterDeps): Consumer {
  const connect = clusterFor(options, deps.configDir);
  return {
    label: `kubernetes-rollout ${options.namespace}: ${options.workloads.map((w) => `${w.kind} ${w.name ?? w.selector}`).join(', ')}`,
    update: async (ctx, credential) => {
      const k8s = await connect();
      const fingerprint = credentialFingerprint(ctx, credential.value);
      const refs = await workloadsOf(k8s, options, ctx.signal);
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
      await waitForRollouts(k8s, ctx, refs, options.rolloutTimeout);
    },
  };
}

export const kubernetesRolloutConsumer = {
  type: 'kubernetes-rollout',
  schema: KubernetesRolloutConsumerOptions,
  create: createKubernetesRolloutConsumer,
} satisfies AdapterDefinition<typeof KubernetesRolloutConsumerOptions, Consumer>;
