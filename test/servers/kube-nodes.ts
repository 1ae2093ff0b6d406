import { CoreV1Api, KubeConfig, type V1Node, type V1Pod } from '@kubernetes/client-node';

/**
 * Nodes for the test control plane, and what their kubelets would do, with no container runtime:
 * pods the scheduler binds to these nodes are reported Running and Ready after `readyAfterMs`;
 * pods being deleted are removed at once (a real kubelet confirms the stop). Pods whose labels
 * `holding` matches stay unready, as a workload that cannot start (an image that cannot be pulled).
 * Test files share one API server: each has its own nodes, labelled `rotad.test/kubelet: <group>`,
 * and its workloads select them (`nodeSelectorFor`), so no pod lands on a node whose kubelet is gone.
 */
export const KUBELET_LABEL = 'rotad.test/kubelet';

export function nodeSelectorFor(group: string): Record<string, string> {
  return { [KUBELET_LABEL]: group };
}

export class FakeNodes {
  readonly #core: CoreV1Api;
  #timer: NodeJS.Timeout | undefined;
  #busy = false;
  #seen = new Map<string, number>();
  /** Pods matching this are kept unready, with this reason on their container. */
  holding: ((pod: V1Pod) => string | undefined) | undefined;

  readonly names: string[];

  constructor(
    adminKubeconfig: string,
    private readonly group: string,
    count = 2,
    private readonly readyAfterMs = 300,
  ) {
    this.names = Array.from({ length: count }, (_, i) => `${group}-node-${i + 1}`);
    const config = new KubeConfig();
    config.loadFromFile(adminKubeconfig);
    this.#core = config.makeApiClient(CoreV1Api);
  }

  async start(): Promise<this> {
    for (const name of this.names) {
      await this.#core
        .createNode({ body: { metadata: { name, labels: { 'kubernetes.io/hostname': name, ...nodeSelectorFor(this.group) } } } })
        .catch(() => undefined);
      // Controllers annotate new nodes too: each replace is read anew and tried again on a conflict.
      await this.#onFresh(name, async (node) => {
        const now = new Date();
        await this.#core.replaceNodeStatus({
          name,
          body: {
            ...node,
            status: {
              capacity: { cpu: '16', memory: '64Gi', pods: '110' },
              allocatable: { cpu: '16', memory: '64Gi', pods: '110' },
              conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'test kubelet', lastHeartbeatTime: now, lastTransitionTime: now }],
            },
          },
        });
      });
      // The not-ready taint every new node gets at admission is the node lifecycle controller's to lift; it does not run here.
      await this.#onFresh(name, (node) => this.#core.replaceNode({ name, body: { ...node, spec: { ...node.spec, taints: [] } } }).then(() => undefined));
    }
    this.#timer = setInterval(() => void this.#tick(), 150);
    return this;
  }

  async #onFresh(name: string, change: (node: V1Node) => Promise<void>): Promise<void> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await change(await this.#core.readNode({ name }));
      } catch (error) {
        if ((error as { code?: number }).code !== 409 || attempt >= 10) throw error;
      }
    }
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  async #tick(): Promise<void> {
    if (this.#busy) return;
    this.#busy = true;
    try {
      const pods = (await this.#core.listPodForAllNamespaces({})).items.filter((p) => this.names.includes(p.spec?.nodeName ?? ''));
      for (const pod of pods) {
        const { namespace = 'default', name = '' } = pod.metadata ?? {};
        if (pod.metadata?.deletionTimestamp) {
          await this.#core.deleteNamespacedPod({ namespace, name, gracePeriodSeconds: 0 }).catch(() => undefined);
          continue;
        }
        const key = `${namespace}/${name}/${pod.metadata?.uid}`;
        const first = this.#seen.get(key) ?? Date.now();
        this.#seen.set(key, first);
        // A pod once ready stays ready: holding keeps new pods from starting, it does not stop running ones.
        if (pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) continue;
        const held = this.holding?.(pod);
        const ready = held === undefined && Date.now() - first >= this.readyAfterMs;
        const reason = pod.status?.containerStatuses?.[0]?.state?.waiting?.reason;
        if (!ready && reason === (held ?? 'ContainerCreating')) continue;
        const now = new Date();
        const status = ready ? 'True' : 'False';
        await this.#core
          .replaceNamespacedPodStatus({
            namespace,
            name,
            body: {
              ...pod,
              status: {
                phase: ready ? 'Running' : 'Pending',
                conditions: ['PodScheduled', 'Initialized', 'ContainersReady', 'Ready'].map((type) => ({
                  type,
                  status: type === 'PodScheduled' || type === 'Initialized' ? 'True' : status,
                  lastTransitionTime: now,
                })),
                containerStatuses: (pod.spec?.containers ?? []).map((c) => ({
                  name: c.name,
                  image: c.image ?? '',
                  imageID: '',
                  ready,
                  restartCount: 0,
                  started: ready,
                  state: ready
                    ? { running: { startedAt: now } }
                    : { waiting: { reason: held ?? 'ContainerCreating', message: `test kubelet: ${held ?? 'starting'}` } },
                })),
                startTime: now,
              },
            },
          })
          .catch(() => undefined);
      }
    } catch {
      // The API server may be stopping; the next tick tries again.
    } finally {
      this.#busy = false;
    }
  }
}
