import { AppsV1Api, CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { readFile, writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { fingerprintAnnotation } from '../../../../src/consumers/kubernetes-cluster.js';
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

type Kind = 'Deployment' | 'StatefulSet' | 'DaemonSet';

async function annotationOf(kind: Kind, name: string, policy = 'shop-token'): Promise<string | undefined> {
  const read = { Deployment: 'readNamespacedDeployment', StatefulSet: 'readNamespacedStatefulSet', DaemonSet: 'readNamespacedDaemonSet' } as const;
  const object = await apps[read[kind]]({ namespace: NS, name });
  return object.spec?.template.metadata?.annotations?.[fingerprintAnnotation(policy)];
}

const EVERY_WORKLOAD: Array<[Kind, string]> = [
  ['Deployment', 'web'],
  ['Deployment', 'api'],
  ['StatefulSet', 'db'],
  ['DaemonSet', 'agent'],
];

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
    await apps.createNamespacedDaemonSet({
      namespace: NS,
      body: { metadata: { name: 'agent' }, spec: { selector: { matchLabels: { app: 'agent' } }, template: template({ app: 'agent' }) } },
    });
    await apps.createNamespacedDeployment({
      namespace: NS,
      body: { metadata: { name: 'slow' }, spec: { replicas: 1, selector: { matchLabels: { app: 'slow' } }, template: template({ app: 'slow' }) } },
    });
    await apps.createNamespacedDeployment({
      namespace: NS,
      body: { metadata: { name: 'shared' }, spec: { replicas: 2, selector: { matchLabels: { app: 'shared' } }, template: template({ app: 'shared' }) } },
    });
    await eventually(async () => (await apps.readNamespacedStatefulSet({ namespace: NS, name: 'db' })).status?.readyReplicas === 2, 60_000);
    await eventually(async () => (await apps.readNamespacedDaemonSet({ namespace: NS, name: 'agent' })).status?.numberAvailable === 2, 60_000);
  }, 90_000);
  afterAll(() => nodes.stop());

  it('restarts two Deployments, a StatefulSet and a DaemonSet once per credential, waits for their rollouts, stops before revoke when one stalls, and rolls them back', async () => {
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
        workloads: [{ kind: Deployment, selector: tier=front }, { kind: StatefulSet, name: db }, { kind: DaemonSet, name: agent }]
        rolloutTimeout: 20s
        kubeconfig: ${kube.adminKubeconfig}`,
    );
    const daemon = DaemonProcess.start(configPath);
    try {
      await daemon.waitForMessage('Rotation completed', () => true, 60_000);
      const first = await readPolicy(dir, 'shop-token');
      secrets.push(...secretsOf(first));
      const fp = await daemonFingerprint(dir, first.current!.value.reveal());
      for (const [kind, name] of EVERY_WORKLOAD) expect(await annotationOf(kind, name), `${kind} ${name}`).toBe(fp);
      expect([await replicaSets('web'), await replicaSets('api')]).toEqual([2, 2]);
      const finished = daemon.entries.filter((e) => e.msg === 'Kubernetes rollout finished').map((e) => e.workload);
      expect(finished.sort()).toEqual(['DaemonSet/shop/agent', 'Deployment/shop/api', 'Deployment/shop/web', 'StatefulSet/shop/db']);
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
      expect(await annotationOf('Deployment', 'web')).toBe(await daemonFingerprint(dir, done.current!.value.reveal()));

      // Rolled back: the Secret holds the previous credential again, and every workload is rolled to it and waited for.
      const rolled = await runCli(['rollback', 'shop-token', '--config', configPath]);
      expect(rolled.code, rolled.stderr).toBe(0);
      const restored = await readPolicy(dir, 'shop-token');
      expect(restored.current?.rotationId).toBe(first.current?.rotationId);
      const restoredFp = await daemonFingerprint(dir, restored.current!.value.reveal());
      for (const [kind, name] of EVERY_WORKLOAD) expect(await annotationOf(kind, name), `${kind} ${name} after rollback`).toBe(restoredFp);
      const secret = await core.readNamespacedSecret({ namespace: NS, name: 'shop-credentials' });
      expect(Buffer.from(secret.data!.token!, 'base64').toString()).toBe(restored.current!.value.reveal());
      const web = await apps.readNamespacedDeployment({ namespace: NS, name: 'web' });
      expect(web.status).toMatchObject({ updatedReplicas: 2, availableReplicas: 2, replicas: 2 });
    } finally {
      expect((await daemon.stop()).code).toBe(0);
    }
    expectNoSecretsInOutput(secrets);
  }, 240_000);

  it('two policies that feed one Secret and one Deployment, rotated in one pass: both keys kept, one restart', async () => {
    const dir = await tempDir();
    const policy = (name: string, key: string): string => `  - name: ${name}
    provider: { type: random, length: 40 }
    schedule: { every: 30d }
    consumers:
      - { type: kubernetes-secret, namespace: ${NS}, name: shared-credentials, key: ${key}, kubeconfig: ${kube.adminKubeconfig} }
      - { type: kubernetes-rollout, namespace: ${NS}, workloads: [{ kind: Deployment, name: shared }], kubeconfig: ${kube.adminKubeconfig} }`;
    const configPath = await writeSaasConfig(dir, `${policy('shared-api', 'api_token')}\n${policy('shared-db', 'db_password')}`);
    // Each change of the pod template is one generation: a restart is counted even if the controller saw two changes at once.
    const generation = async (): Promise<number> => (await apps.readNamespacedDeployment({ namespace: NS, name: 'shared' })).metadata!.generation!;
    const before = await generation();
    const daemon = DaemonProcess.start(configPath);
    try {
      // Both rotate at the first start: one pass.
      await daemon.waitForMessage('Rotation completed', (e) => e.policy === 'shared-api', 60_000);
      await daemon.waitForMessage('Rotation completed', (e) => e.policy === 'shared-db', 60_000);
      const api = await readPolicy(dir, 'shared-api');
      const db = await readPolicy(dir, 'shared-db');
      secrets.push(...secretsOf(api), ...secretsOf(db));
      expect(await generation(), 'one restart for both policies').toBe(before + 1);
      expect(await annotationOf('Deployment', 'shared', 'shared-api')).toBe(await daemonFingerprint(dir, api.current!.value.reveal()));
      expect(await annotationOf('Deployment', 'shared', 'shared-db')).toBe(await daemonFingerprint(dir, db.current!.value.reveal()));
      const secret = await core.readNamespacedSecret({ namespace: NS, name: 'shared-credentials' });
      expect(Object.keys(secret.data ?? {}).sort()).toEqual(['api_token', 'db_password']);
      expect(Buffer.from(secret.data!.api_token!, 'base64').toString()).toBe(api.current!.value.reveal());
      expect(Buffer.from(secret.data!.db_password!, 'base64').toString()).toBe(db.current!.value.reveal());
      // Each policy owns its own key (its own field manager): neither apply removed the other's.
      const managers = (secret.metadata?.managedFields ?? []).map((f) => ({ manager: f.manager, fields: JSON.stringify(f.fieldsV1) }));
      expect(managers.find((m) => m.manager === 'rotad/shared-api')?.fields).toContain('f:api_token');
      expect(managers.find((m) => m.manager === 'rotad/shared-db')?.fields).toContain('f:db_password');

      // Only one of them rotates: one more restart, and the other policy's annotation stays.
      expect((await runCli(['rotate', 'shared-db', '--config', configPath])).code).toBe(0);
      await daemon.waitForMessage('Rotation completed', (e) => e.policy === 'shared-db', 60_000, 1);
      const db2 = await readPolicy(dir, 'shared-db');
      secrets.push(...secretsOf(db2));
      expect(await generation()).toBe(before + 2);
      expect(await annotationOf('Deployment', 'shared', 'shared-api')).toBe(await daemonFingerprint(dir, api.current!.value.reveal()));
      expect(await annotationOf('Deployment', 'shared', 'shared-db')).toBe(await daemonFingerprint(dir, db2.current!.value.reveal()));
    } finally {
      expect((await daemon.stop()).code).toBe(0);
    }
    expectNoSecretsInOutput(secrets);
  }, 180_000);

  it('a rollout that takes longer than the lease: rotad renews the lease while it waits, and finishes', async () => {
    const dir = await tempDir();
    const path = await writeSaasConfig(
      dir,
      `  - name: slow-token
    provider: { type: random, length: 40 }
    schedule: { every: 30d }
    consumers:
      - { type: kubernetes-rollout, namespace: ${NS}, workloads: [{ kind: Deployment, name: slow }], rolloutTimeout: 30s, timeout: 2s, kubeconfig: ${kube.adminKubeconfig} }`,
    );
    await writeFile(path, (await readFile(path, 'utf8')).replace('shutdownTimeout: 5s', 'shutdownTimeout: 5s\n  lease: 4s'));
    // Its new pod starts only after 10 s: more than twice the lease.
    nodes.holding = (pod) => (pod.metadata?.labels?.app === 'slow' ? 'ContainerCreating' : undefined);
    const released = setTimeout(() => (nodes.holding = undefined), 10_000);
    const daemon = DaemonProcess.start(path);
    try {
      const waiting = await daemon.waitForMessage('Waiting for Kubernetes rollouts', () => true, 30_000);
      const done = await daemon.waitForMessage('Rotation completed', () => true, 60_000);
      expect(Date.parse(String(done.time)) - Date.parse(String(waiting.time)), 'the wait outlasted the lease').toBeGreaterThan(4_000);
      const policy = await readPolicy(dir, 'slow-token');
      secrets.push(...secretsOf(policy));
      expect(await annotationOf('Deployment', 'slow', 'slow-token')).toBe(await daemonFingerprint(dir, policy.current!.value.reveal()));
      // One run, one wait: the lease never ran out under it (it would stop the wait, and a later run would wait again).
      // The lease never ran out under the wait: without the renewal, each lease's end stops it ("Another writer holds this
      // policy") and a later run waits again. A request retried on a slow machine is another wait, and fine.
      expect(daemon.entries.filter((e) => e.msg === 'Another writer holds this policy; leaving it to them')).toEqual([]);
      expect(daemon.entries.filter((e) => /lease/i.test(JSON.stringify(e))).map((e) => e.msg)).toEqual([]);
    } finally {
      clearTimeout(released);
      nodes.holding = undefined;
      expect((await daemon.stop()).code).toBe(0);
    }
  }, 120_000);
});
