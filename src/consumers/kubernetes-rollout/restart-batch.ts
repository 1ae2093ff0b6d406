import type { Clock } from '../../clock.js';
import { fingerprintAnnotation } from '../kubernetes-cluster.js';
import { RotadError } from '../../errors.js';
import { isConflict, type KubernetesCluster, type KubernetesObject, type ObjectRef } from '../../vendors/kubernetes.js';

/** The prefix of rotad's pod-template annotations (fingerprintAnnotation): the same credential sets the same value, so nothing restarts twice for it. */
const ANNOTATION_PREFIX = fingerprintAnnotation('');

/**
 * How long a restart waits for others of the same workload: policies rotated in one pass (one
 * schedule slot, one SIGUSR2) reach their consumers within moments of each other, and their
 * restarts become one change of the pod template, so the workload restarts once.
 */
const RESTART_BATCH_MS = 2_000;
/** Tries of one restart when another writer changed the workload between its read and its apply. */
const APPLY_ATTEMPTS = 5;

type Annotations = Record<string, string>;

const templateAnnotations = (object: KubernetesObject | undefined): Annotations =>
  (object?.spec as { template?: { metadata?: { annotations?: Annotations } } } | undefined)?.template?.metadata?.annotations ?? {};

/** The fingerprint a policy's annotation on the workload's pod template holds now. */
export const annotatedFingerprint = (object: KubernetesObject | undefined, policy: string): string | undefined =>
  templateAnnotations(object)[fingerprintAnnotation(policy)];

interface Batch {
  /** Annotations asked for, by key. */
  wanted: Annotations;
  /** Settles once the pod template carries them (or could not be changed). */
  applied: Promise<void>;
}

/** Open batches of this process, by cluster and workload. */
const open = new Map<string, Batch>();

/**
 * Sets every annotation of the batch on the pod template in one server-side apply. The apply
 * carries all of rotad's annotations the template has (rotad's field manager owns them all: an
 * apply that left one out would remove it), and the resourceVersion read: a change by anyone in
 * between is a conflict, read again.
 */
async function applyBatch(k8s: KubernetesCluster, ref: ObjectRef, wanted: Annotations, signal: AbortSignal): Promise<void> {
  for (let attempt = 1; ; attempt += 1) {
    const object = await k8s.read(ref, signal);
    if (object === undefined) throw new RotadError('CONSUMER_FAILED', `${ref.kind} ${ref.namespace}/${ref.name} does not exist`);
    const current = templateAnnotations(object);
    const ours = Object.fromEntries(Object.entries(current).filter(([key]) => key.startsWith(ANNOTATION_PREFIX)));
    if (Object.entries(wanted).every(([key, value]) => current[key] === value)) return;
    const metadata = object.metadata?.resourceVersion === undefined ? {} : { resourceVersion: object.metadata.resourceVersion };
    try {
      await k8s.apply(ref, { metadata, spec: { template: { metadata: { annotations: { ...ours, ...wanted } } } } }, { signal });
      return;
    } catch (error) {
      if (!isConflict(error) || attempt >= APPLY_ATTEMPTS) throw error;
    }
  }
}

/**
 * Asks for the workload's pods to be restarted with `annotation` set on their template. Requests
 * for one workload within RESTART_BATCH_MS of the first are applied together: one restart.
 * Resolves once the template carries the annotation; the rollout is the caller's to wait for.
 */
export function requestRestart(k8s: KubernetesCluster, ref: ObjectRef, annotation: Annotations, clock: Clock, signal: AbortSignal): Promise<void> {
  const key = `${k8s.server} ${ref.kind} ${ref.namespace}/${ref.name}`;
  const joined = open.get(key);
  if (joined) {
    Object.assign(joined.wanted, annotation);
    return abortable(joined.applied, signal);
  }
  const wanted: Annotations = { ...annotation };
  // The batch's wait and apply are not cut short by one caller's signal: others wait on it too.
  const applied = (async () => {
    await clock.sleep(RESTART_BATCH_MS);
    open.delete(key);
    await applyBatch(k8s, ref, wanted, new AbortController().signal);
  })();
  open.set(key, { wanted, applied });
  return abortable(applied, signal);
}

/** `promise`, or a rejection as soon as `signal` aborts. */
function abortable(promise: Promise<void>, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
