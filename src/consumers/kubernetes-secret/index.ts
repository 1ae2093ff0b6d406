import type { AdapterDefinition, AdapterDeps } from '../../adapters/definition.js';
import { RotadError } from '../../errors.js';
import { factFields } from '../../stores/types.js';
import type { ObjectRef } from '../../vendors/kubernetes.js';
import { annotationNameProblems, clusterFor, credentialFingerprint, fingerprintAnnotation, rotationAnnotation } from '../kubernetes-cluster.js';
import type { Consumer } from '../types.js';
import { KubernetesSecretConsumerOptions } from './schema.js';

/**
 * The field manager of a policy's keys in a Secret: one per policy, so that policies sharing a
 * Secret each own their keys (an apply removes the keys its manager applied before and left out).
 */
const secretManager = (policy: string): string => `rotad/${policy}`;

function createKubernetesSecretConsumer(options: KubernetesSecretConsumerOptions, deps: AdapterDeps): Consumer {
  const ref: ObjectRef = { apiVersion: 'v1', kind: 'Secret', resource: 'secrets', namespace: options.namespace, name: options.name };
  const connect = clusterFor(options, deps.configDir);
  return {
    label: `kubernetes-secret ${options.namespace}/${options.name}`,
    update: async (ctx, credential) => {
      const k8s = await connect();
      const fingerprint = credentialFingerprint(ctx, credential.value);
      const data: Record<string, string> = { [options.key]: Buffer.from(credential.value.reveal(), 'utf8').toString('base64') };
      for (const [name, value] of Object.entries(factFields({ name: ctx.policy, facts: ctx.facts }, credential)))
        data[name] = Buffer.from(value, 'utf8').toString('base64');
      const applied = await k8s.apply(
        ref,
        {
          type: options.secretType,
          metadata: {
            labels: options.labels,
            annotations: { ...options.annotations, [rotationAnnotation(ctx.policy)]: credential.rotationId, [fingerprintAnnotation(ctx.policy)]: fingerprint },
          },
          data,
        },
        { signal: ctx.signal, manager: secretManager(ctx.policy) },
      );
      // Confirmed by reading back: the key holds this credential, and the annotations name it.
      const read = await k8s.read(ref, ctx.signal);
      const held = (read?.data as Record<string, string> | undefined)?.[options.key];
      if (held !== data[options.key] || read?.metadata?.annotations?.[fingerprintAnnotation(ctx.policy)] !== fingerprint)
        throw new RotadError('CONSUMER_FAILED', `Secret ${options.namespace}/${options.name} does not hold the new credential after the apply; trying again`, {
          retryable: true,
        });
      ctx.logger.info({ secret: `${options.namespace}/${options.name}`, key: options.key, fingerprint }, 'Kubernetes Secret updated');
      await k8s
        .event(
          ref,
          applied.metadata?.uid,
          'Normal',
          'CredentialRotated',
          `rotad wrote the credential of policy ${ctx.policy} (rotation ${credential.rotationId}, fingerprint ${fingerprint}) to key ${options.key}`,
          ctx.signal,
        )
        .catch((error: unknown) => ctx.logger.warn({ error: (error as Error).message }, 'Kubernetes Event not recorded (the Secret is updated)'));
    },
    check: async (ctx) => {
      const k8s = await connect();
      // Asked before anything is read: a refusal names every missing verb at once.
      const denied: string[] = [];
      for (const verb of ['get', 'patch']) {
        const { allowed, reason } = await k8s.allowed(verb, ref, ctx.signal);
        if (!allowed) denied.push(`${verb}${reason ? ` (${reason})` : ''}`);
      }
      const exists = denied.length === 0 && (await k8s.read(ref, ctx.signal)) !== undefined;
      if (!exists && !(await k8s.allowed('create', ref, ctx.signal)).allowed)
        denied.push(denied.length === 0 ? 'create (the Secret does not exist yet)' : 'create (when the Secret does not exist)');
      if (denied.length > 0)
        throw new RotadError(
          'CONSUMER_FAILED',
          `Kubernetes RBAC does not let rotad ${denied.join(', ')} secrets/${options.name} in namespace ${options.namespace} on ${k8s.server}: grant those verbs to rotad's service account or user`,
        );
      return `${exists ? 'Secret exists' : 'Secret does not exist yet (rotad creates it)'}; rotad may get, patch${exists ? '' : ', create'} it on ${k8s.server}`;
    },
  };
}

export const kubernetesSecretConsumer = {
  type: 'kubernetes-secret',
  schema: KubernetesSecretConsumerOptions,
  create: createKubernetesSecretConsumer,
  rules: (_options, { policy }) => annotationNameProblems(policy.name),
} satisfies AdapterDefinition<typeof KubernetesSecretConsumerOptions, Consumer>;
