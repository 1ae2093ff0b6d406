import { z } from 'zod';
import { DurationText } from '../../duration-text.js';

const Name = z
  .string()
  .max(253)
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/, { error: 'expected a Kubernetes name (lower-case letters, digits, - and .)' });

/** One workload, or all of a kind that a label selector matches. */
const Workload = z
  .strictObject({
    kind: z.enum(['Deployment', 'StatefulSet', 'DaemonSet']),
    /** The workload's name; or `selector`. */
    name: Name.optional(),
    /** A label selector (app=web,tier=front): every workload of the kind it matches in the namespace. */
    selector: z.string().min(1).optional(),
  })
  .refine((w) => (w.name === undefined) !== (w.selector === undefined), { error: 'give a workload either name or selector' });

/** Options of the `kubernetes-rollout` consumer: restarts workloads so their pods read the new credential, and waits for the rollout. */
export const KubernetesRolloutConsumerOptions = z.strictObject({
  type: z.literal('kubernetes-rollout'),
  namespace: z
    .string()
    .max(63)
    .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, { error: 'expected a Kubernetes namespace (lower-case letters, digits and -)' }),
  workloads: z.array(Workload).min(1),
  /**
   * How long rotad waits for the rollouts (it renews the policy's lease while it waits). Past it
   * the rotation stops before revoke. Default: 25s.
   */
  rolloutTimeout: DurationText.default('25s'),
  /** A kubeconfig file. Default: KUBECONFIG, then ~/.kube/config, then the pod's service account. */
  kubeconfig: z.string().min(1).optional(),
  /** A context of the kubeconfig. */
  context: z.string().min(1).optional(),
  /** Per request to the API server. Default: 10s. */
  timeout: DurationText.default('10s'),
});
export type KubernetesRolloutConsumerOptions = z.infer<typeof KubernetesRolloutConsumerOptions>;
