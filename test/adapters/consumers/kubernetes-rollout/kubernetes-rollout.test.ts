import { AppsV1Api, CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { TEMPLATE_ANNOTATION } from '../../../../src/consumers/kubernetes-rollout/index.js';
import { DaemonProcess, expectNoSecretsInOutput, runCli } from '../../../helpers/daemon.js';
import { writeSaasConfig } from '../../../helpers/saas.js';
import { eventually } from '../../../helpers/sinks.js';
import { readPolicy, secretsOf } from '../../../helpers/store.js';
import { tempDir } from '../../../helpers/workspace.js';
import { FakeNodes, nodeSelectorFor } from '../../../servers/kube-nodes.js';
import { daemonFingerprint } from '../kubernetes-secret/cluster-admin.js';

const kube = inject('servers').kube;
const config = new KubeConfig();
config.loadFromFile(kube.adminKubeconfig);
const apps = config.makeApiClient(AppsV1Api);
const core = config.makeApiClient(CoreV1Api);
const NS = 'shop';
const secrets: string[] = [];
let nodes: FakeNodes;

const template = (labels: Record<string, string>) => ({
  metadata: { labels },
  spec: { nodeSelector: nodeSelectorFor('rollout'), containers: [{ name: 'app', image: 'shop/app:1' }] },
});

/** The ReplicaSets of a Deployment: one per pod template it ever ran, so restarts are counted. */
async function replicaSets(name: string): Promise<number> {
  return (await apps.listNamespacedReplicaSet({ namespace: NS, labelSelector: `app=${name}` })).items.length;
}

async function templateAnnotation(kind: 'Deployment' | 'StatefulSet', name: string): Promise<string | undefined> {
  const object =
    kind === 'Deployment' ? await apps.readNamespacedDeployment({ namespace: NS, name }) : await apps.readNamespacedStatefulSet({ namespace: NS, name });
  return object.spec?.template.metadata?.annotations?.[TEMPLATE_ANNOTATION];
}

describe('kubernetes-rollout on a real control plane (API server, controller-manager, scheduler; test kubelets)', () => {
  beforeAll(async () => {
    nodes = await new FakeNodes(kube.adminKubeconfig, 'rollout').start();
    await core.createNamespace({ body: { metadata: { name: NS } } });
    for (const name of ['web', 'api'])
      await apps.createNamespacedDeployment({
        namespace: NS,
        body: {
          metadata: { name, labels: { tier: 'front' } },
          spec: { replicas: 2, selector: { matchLabels: { app: name } }, template: template({ app: name }) },
        },
      });
    await apps.createNamespacedStatefulSet({
      namespace: NS,
      body: { metadata: { name: 'db' }, spec: { replicas: 2, serviceName: 'db', selector: { matchLabels: { app: 'db' } }, template: template({ app: 'db' }) } },
    });
    await eventually(async () => (await apps.readNamespacedStatefulSet({ namespace: NS, name: 'db' })).status?.readyReplicas === 2, 60_000);
  }, 90_000);
  afterAll(() => nodes.stop());

  it('restarts two Deployments and a StatefulSet once per credential, waits for their rollouts, and stops before revoke when one stalls', async () => {
    const dir = await tempDir();
    const configPath = await writeSaasConfig(
      dir,
      `  - name: shop-token
    provider: { type: random, length: 40 }
    schedule: { every: 30d }
    consumers:
      - { type: kubernetes-secret, namespace: ${NS}, name: shop-credentials, key: token, kubeconfig: ${kube.adminKubeconfig} }
      - type: kubernetes-rollout
        namespace: ${NS}
        workloads: [{ kind: Deployment, selector: tier=front }, { kind: StatefulSet, name: db }]
        rolloutTimeout: 20s
        kubeconfig: ${kube.adminKubeconfig}`,
    );
    const daemon = DaemonProcess.start(configPath);
    try {
      await daemon.waitForMessage('Rotation completed', () => true, 60_000);
      const first = await readPolicy(dir, 'shop-token');
      secrets.push(...secretsOf(first));
      const fp = await daemonFingerprint(dir, first.current!.value.reveal());
      for (const [kind, name] of [
        ['Deployment', 'web'],
        ['Deployment', 'api'],
        ['StatefulSet', 'db'],
      ] as const)
        expect(await templateAnnotation(kind, name), `${kind} ${name}`).toBe(fp);
      expect([await replicaSets('web'), await replicaSets('api')]).toEqual([2, 2]);
      const finished = daemon.entries.filter((e) => e.msg === 'Kubernetes rollout finished').map((e) => e.workload);
      expect(finished.sort()).toEqual(['Deployment/shop/api', 'Deployment/shop/web', 'StatefulSet/shop/db']);
      const lines = daemon.entries.map((e) => e.msg);
      expect(lines.lastIndexOf('Kubernetes rollout finished')).toBeLessThan(lines.indexOf('Rotation completed'));

      // A workload that cannot start: the rotation stops in consumers, before revoke, naming it and why.
      nodes.holding = (pod) => (pod.metadata?.labels?.app === 'web' ? 'ImagePullBackOff' : undefined);
      expect((await runCli(['rotate', 'shop-token', '--config', configPath])).code).toBe(0);
      const stalled = await daemon.waitForMessage('Rotation needs attention', () => true, 90_000);
      expect(stalled).toMatchObject({ phase: 'consumers', code: 'CONSUMER_FAILED' });
      expect(String(stalled.reason)).toMatch(
        /Deployment shop\/web did not finish its rollout within 20s \(.*\): ImagePullBackOff; the old credential stays valid/,
      );
      const events = await core.listNamespacedEvent({ namespace: NS, fieldSelector: 'involvedObject.name=web,reason=RolloutStalled' });
      expect(events.items.map((e) => e.type)).toContain('Warning');
      const second = await readPolicy(dir, 'shop-token');
      secrets.push(...secretsOf(second));
      expect(second.previous?.revokedAt).toBeUndefined();
      expect(await replicaSets('web')).toBe(3);

      // Fixed, and resumed: the same rotation finishes; web is not restarted a second time for it.
      nodes.holding = undefined;
      expect((await runCli(['rotate', 'shop-token', '--config', configPath])).code).toBe(0);
      await daemon.waitForMessage('Rotation completed', () => true, 60_000, 1);
      const done = await readPolicy(dir, 'shop-token');
      expect(done.current?.rotationId).toBe(second.current?.rotationId);
      expect(await replicaSets('web')).toBe(3);
      expect(await templateAnnotation('Deployment', 'web')).toBe(await daemonFingerprint(dir, done.current!.value.reveal()));
    } finally {
      expect((await daemon.stop()).code).toBe(0);
    }
    expectNoSecretsInOutput(secrets);
  }, 240_000);
});
