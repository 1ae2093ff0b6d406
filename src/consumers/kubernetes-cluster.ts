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
