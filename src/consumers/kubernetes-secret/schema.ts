import { z } from 'zod';
import { DurationText } from '../../duration-text.js';

/** A Kubernetes object name (RFC 1123 subdomain): lower-case letters, digits, '-' and '.'. */
const ObjectName = z
  .string()
  .max(253)
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/, { error: 'expected a Kubernetes name (lower-case letters, digits, - and .)' });
/** A namespace (RFC 1123 label). */
const Namespace = z
  .string()
  .max(63)
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, { error: 'expected a Kubernetes namespace (lower-case letters, digits and -)' });
/** A key of a Secret's data. */
const DataKey = z
  .string()
  .max(253)
  .regex(/^[-._a-zA-Z0-9]+$/, { error: 'expected a Secret key (letters, digits, -, _ and .)' });

/** Options of the `kubernetes-secret` consumer: writes the credential into a Secret by server-side apply. */
export const KubernetesSecretConsumerOptions = z.strictObject({
  type: z.literal('kubernetes-secret'),
  namespace: Namespace,
  /** The Secret's name; created when missing. */
  name: ObjectName,
  /** The key that holds the credential. Default: value. The policy's `secret.fields` go under their own names. */
  key: DataKey.default('value'),
  /** The Secret's type when rotad creates it. Default: Opaque. */
  secretType: z.string().min(1).default('Opaque'),
  /** Labels rotad sets (and owns) on the Secret. */
  labels: z.record(z.string(), z.string()).default({}),
  /** Annotations rotad sets (and owns), besides its own rotad.dev/ ones. */
  annotations: z.record(z.string(), z.string()).default({}),
  /** A kubeconfig file. Default: KUBECONFIG, then ~/.kube/config, then the pod's service account. */
  kubeconfig: z.string().min(1).optional(),
  /** A context of the kubeconfig. Default: its current context. */
  context: z.string().min(1).optional(),
  /** Per request to the API server. Default: 10s. */
  timeout: DurationText.default('10s'),
});
export type KubernetesSecretConsumerOptions = z.infer<typeof KubernetesSecretConsumerOptions>;
