import type { KubernetesObject } from '../../vendors/kubernetes.js';

type Status = Record<string, number | string | undefined>;

/**
 * Whether a workload's rollout has finished, as `kubectl rollout status` judges it: the controller
 * saw the latest spec, every replica runs the new template, is available, and no pod of an older
 * template is left. Otherwise what it is still doing, in words.
 */
export function rolloutDone(kind: string, object: KubernetesObject): { done: boolean; progress: string } {
  const generation = Number((object.metadata as { generation?: number } | undefined)?.generation ?? 0);
  const status = (object.status ?? {}) as Status;
  const spec = (object.spec ?? {}) as { replicas?: number };
  const observed = Number(status.observedGeneration ?? 0);
  if (observed < generation) return { done: false, progress: 'the controller has not seen the change yet' };
  const n = (key: string): number => Number(status[key] ?? 0);
  if (kind === 'Deployment') {
    const want = spec.replicas ?? 1;
    const done = n('updatedReplicas') === want && n('availableReplicas') === want && n('replicas') === want;
    return { done, progress: `${n('updatedReplicas')} of ${want} updated, ${n('availableReplicas')} available, ${n('replicas')} in all` };
  }
  if (kind === 'StatefulSet') {
    const want = spec.replicas ?? 1;
    const done = n('updatedReplicas') === want && n('readyReplicas') === want && status.currentRevision === status.updateRevision;
    return { done, progress: `${n('updatedReplicas')} of ${want} updated, ${n('readyReplicas')} ready` };
  }
  const want = n('desiredNumberScheduled');
  const done = n('updatedNumberScheduled') === want && n('numberAvailable') === want;
  return { done, progress: `${n('updatedNumberScheduled')} of ${want} updated, ${n('numberAvailable')} available` };
}
