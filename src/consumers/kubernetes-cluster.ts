import { createHmac, randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { durationMs } from '../duration-text.js';
import type { Secret } from '../secret.js';
import { KubernetesCluster } from '../vendors/kubernetes.js';
import type { ConsumerContext } from './types.js';

/** What the Kubernetes consumers share of their options: where the cluster is, and how long a request may take. */
interface ClusterChoice {
  kubeconfig?: string | undefined;
  context?: string | undefined;
  timeout: string;
}

/** Connects on first use (and again after a failed attempt); a kubeconfig path is relative to the config file. */
export function clusterFor(options: ClusterChoice, configDir: string): () => Promise<KubernetesCluster> {
  let cluster: Promise<KubernetesCluster> | undefined;
  return () => {
    cluster ??= KubernetesCluster.connect({
      kubeconfig: options.kubeconfig === undefined ? undefined : resolve(configDir, options.kubeconfig),
      context: options.context,
      timeoutMs: durationMs(options.timeout),
    }).catch((error: unknown) => {
      cluster = undefined;
      throw error;
    });
    return cluster;
  };
}

/** Without the daemon's audit key (a command run without one), a key of this process: a fingerprint still never reveals the value. */
const processKey = randomBytes(32);

/** The credential's keyed fingerprint, as the daemon names it (ConsumerContext.fingerprint), to mark it in the cluster without its value. */
export function credentialFingerprint(ctx: ConsumerContext, value: Secret): string {
  return ctx.fingerprint ? ctx.fingerprint(value) : createHmac('sha256', processKey).update(value.reveal()).digest('hex').slice(0, 16);
}

/**
 * rotad's annotations name the policy, so that several policies can share one Secret or one
 * workload: `fingerprint.rotad.dev/<policy>` (the credential's keyed fingerprint, never the value)
 * and, on a Secret, `rotation.rotad.dev/<policy>` (the rotation that made it).
 */
export const fingerprintAnnotation = (policy: string): string => `fingerprint.rotad.dev/${policy}`;
export const rotationAnnotation = (policy: string): string => `rotation.rotad.dev/${policy}`;

/** A policy name fit to be an annotation's name part: Kubernetes wants it to end with a letter or digit. */
const ANNOTATION_NAME = /^[a-z0-9]([-a-z0-9_.]*[a-z0-9])?$/;

/** The config rule of both Kubernetes consumers: the policy's name can name its annotations. */
export function annotationNameProblems(policy: string): Array<{ key: string[]; message: string }> {
  return ANNOTATION_NAME.test(policy)
    ? []
    : [{ key: ['type'], message: `policy name '${policy}' names rotad's annotations (fingerprint.rotad.dev/${policy}): it must end with a letter or digit` }];
}
