import { join } from 'node:path';
import { AppsV1Api, CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { fingerprintAnnotation } from '../../src/consumers/kubernetes-cluster.js';
import { TokensApiServer } from '../adapters/providers/http/stand-in.js';
import { daemonFingerprint } from '../adapters/consumers/kubernetes-secret/cluster-admin.js';
import { expectNoSecretsInOutput, type DaemonProcess, type LogEntry } from '../helpers/daemon.js';
import { openStore, STORE_KINDS } from '../helpers/store-kinds.js';
import { FakeNodes, nodeSelectorFor } from '../servers/kube-nodes.js';
import { chaosConfig, Fleet, inspect, pause, POLICIES, randomBetween, settle, workspace } from './harness.js';

/** Kills: a few in `npm test`, more with `npm run chaos` (KUBE_KILLS). */
const KILLS = Number(process.env.KUBE_KILLS ?? 10);
const NS = 'chaos';
const APP = 'chaos-app';

const kube = inject('servers').kube;
const config = new KubeConfig();
config.loadFromFile(kube.adminKubeconfig);
const apps = config.makeApiClient(AppsV1Api);
const core = config.makeApiClient(CoreV1Api);

/** Each change of the Deployment's pod template is one generation: one restart. */
const generation = async (): Promise<number> => (await apps.readNamespacedDeployment({ namespace: NS, name: APP })).metadata!.generation!;

/** Whether the daemon is between "Waiting for Kubernetes rollouts" and "Kubernetes rollout finished" for some policy. */
function waitingForRollout(daemon: DaemonProcess): boolean {
  return POLICIES.some((policy) => {
    const count = (msg: string): number => daemon.entries.filter((e) => e.msg === msg && e.policy === policy).length;
    return count('Waiting for Kubernetes rollouts') > count('Kubernetes rollout finished');
  });
}

describe('chaos: SIGKILL while rotad waits for Kubernetes rollouts (two policies feed one Secret and one Deployment)', () => {
  const api = new TokensApiServer();
  let nodes: FakeNodes;
  beforeAll(async () => {
    await api.start();
    nodes = await new FakeNodes(kube.adminKubeconfig, 'chaos', 2, 800).start();
    await core.createNamespace({ body: { metadata: { name: NS } } });
    await apps.createNamespacedDeployment({
      namespace: NS,
      body: {
        metadata: { name: APP },
        spec: {
          replicas: 2,
          selector: { matchLabels: { app: APP } },
          template: {
            metadata: { labels: { app: APP } },
            spec: { nodeSelector: nodeSelectorFor('chaos'), containers: [{ name: 'app', image: 'chaos/app:1' }] },
          },
        },
      },
    });
  });
  afterAll(async () => {
    nodes.stop();
    await api.stop();
  });

  it(
    `${KILLS} kills, each at a random instant once a daemon works on a rollout: it resumes waiting, no workload restarts twice for one credential, nothing lost or duplicated`,
    async () => {
      const dir = await workspace();
      const store = await STORE_KINDS.find((k) => k.type === 'file')!.options();
      const bootstrap = api.create('bootstrap');
      const fleet = new Fleet({ ACME_BOOTSTRAP_TOKEN: bootstrap.value });
      const configPath = await chaosConfig(
        dir,
        0,
        store,
        api,
        20_000,
        (policy) => `
      - { type: kubernetes-secret, namespace: ${NS}, name: chaos-credentials, key: ${policy}, kubeconfig: ${kube.adminKubeconfig} }
      - { type: kubernetes-rollout, namespace: ${NS}, workloads: [{ kind: Deployment, name: ${APP} }], rolloutTimeout: 10s, kubeconfig: ${kube.adminKubeconfig} }`,
      );
      const before = await generation();
      let requests = 0;
      let killedWhileWaiting = 0;
      for (let kill = 0; kill < KILLS; kill += 1) {
        const daemon = fleet.start(configPath);
        await fleet.request(configPath);
        requests += 1;
        await daemon.waitFor((e) => e.msg === 'Waiting for Kubernetes rollouts' || e.msg === 'Rotation completed', 20_000).catch(() => undefined);
        await pause(randomBetween(0, 1_500));
        if (waitingForRollout(daemon)) killedWhileWaiting += 1;
        await fleet.kill(daemon);
      }
      const last = fleet.start(configPath);
      await fleet.request(configPath);
      requests += 1;
      await settle(store, 120_000);
      expect((await last.stop()).code).toBe(0);

      const { report, problems, secrets } = await inspect({ store: 'file', scenario: 'kubernetes rollouts', kills: KILLS, requests }, fleet, store, api, dir);
      // A restart is asked for by a rotation of a policy, once: a second "restarted" for the same one would be a second restart.
      const restartsAsked = fleet.entries('Kubernetes workload restarted for the new credential').map((e) => `${String(e.policy)} ${String(e.rotation)}`);
      const askedTwice = restartsAsked.filter((key, i) => restartsAsked.indexOf(key) !== i);
      const restarts = (await generation()) - before;
      // A daemon that waited for a rollout it did not ask for: it took over a killed one's wait.
      const resumedWaits = fleet.all
        .map((daemon) => {
          const key = (e: LogEntry): string => `${String(e.policy)} ${String(e.rotation)}`;
          const asked = new Set(daemon.entries.filter((e) => e.msg === 'Kubernetes workload restarted for the new credential').map(key));
          return new Set(daemon.entries.filter((e) => e.msg === 'Waiting for Kubernetes rollouts' && !asked.has(key(e))).map(key)).size;
        })
        .reduce((sum, n) => sum + n, 0);
      // The workload ends on the current credential of each policy, and the Secret holds them.
      const handle = openStore(store);
      const deployment = await apps.readNamespacedDeployment({ namespace: NS, name: APP });
      const secret = await core.readNamespacedSecret({ namespace: NS, name: 'chaos-credentials' });
      for (const policy of POLICIES) {
        const current = (await handle.read({ name: policy })).current!.value.reveal();
        if (deployment.spec?.template.metadata?.annotations?.[fingerprintAnnotation(policy)] !== (await daemonFingerprint(dir, current, join(dir, 'state-0'))))
          problems.push(`${policy}: the Deployment's pod template does not name the current credential`);
        if (Buffer.from(secret.data?.[policy] ?? '', 'base64').toString() !== current)
          problems.push(`${policy}: the Secret does not hold the current credential`);
      }
      await handle.close();
      console.log(
        `kube chaos ${JSON.stringify({ ...report, killedWhileWaiting, resumedWaits, restarts, restartsAskedTwice: askedTwice.length })}${problems.length > 0 ? `\n${problems.join('\n')}` : ''}`,
      );
      expect(problems).toEqual([]);
      expect(askedTwice).toEqual([]);
      // At most one restart per credential delivered (two policies in one pass share one).
      expect(restarts).toBeLessThanOrEqual(report.rotationsCompleted);
      expect(restarts).toBeGreaterThan(0);
      expectNoSecretsInOutput([bootstrap.value, ...secrets]);
    },
    30 * 60_000,
  );
});
