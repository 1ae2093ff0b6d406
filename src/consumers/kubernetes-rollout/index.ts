import type { AdapterDefinition, AdapterDeps } from '../../adapters/definition.js';
import { RotadError } from '../../errors.js';
import { annotationNameProblems, clusterFor, fingerprintAnnotation, credentialFingerprint } from '../kubernetes-cluster.js';
import type { Consumer } from '../types.js';
import { annotatedFingerprint, requestRestart } from './restart-batch.js';
import { waitForRollouts, workloadsOf } from './rollouts.js';
import { KubernetesRolloutConsumerOptions } from './schema.js';

function createKubernetesRolloutConsumer(options: KubernetesRolloutConsumerOptions, deps: AdapterDeps): Consumer {
  const connect = clusterFor(options, deps.configDir);
  return {
    label: `kubernetes-rollout ${options.namespace}: ${options.workloads.map((w) => `${w.kind} ${w.name ?? w.selector}`).join(', ')}`,
    update: async (ctx, credential) => {
      const k8s = await connect();
      const fingerprint = credentialFingerprint(ctx, credential.value);
      const refs = await workloadsOf(k8s, options, ctx.signal);
      const restarts = refs.map(async (ref) => {
        const before = await k8s.read(ref, ctx.signal);
        if (before === undefined) throw new RotadError('CONSUMER_FAILED', `${ref.kind} ${ref.namespace}/${ref.name} does not exist`);
        if (annotatedFingerprint(before, ctx.policy) === fingerprint) return; // restarted for this credential already
        await requestRestart(k8s, ref, { [fingerprintAnnotation(ctx.policy)]: fingerprint }, ctx.clock, ctx.signal);
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
      });
      await Promise.all(restarts);
      await waitForRollouts(k8s, ctx, refs, options.rolloutTimeout);
    },
  };
}

export const kubernetesRolloutConsumer = {
  type: 'kubernetes-rollout',
  schema: KubernetesRolloutConsumerOptions,
  create: createKubernetesRolloutConsumer,
  rules: (_options, { policy }) => annotationNameProblems(policy.name),
} satisfies AdapterDefinition<typeof KubernetesRolloutConsumerOptions, Consumer>;
