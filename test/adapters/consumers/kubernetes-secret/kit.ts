import { AppsV1Api, KubeConfig } from '@kubernetes/client-node';
import { expect, inject } from 'vitest';
import { waitForEvent } from '../../../helpers/saas.js';
import { eventually } from '../../../helpers/sinks.js';
import { FakeNodes, nodeSelectorFor } from '../../../servers/kube-nodes.js';
import type { AdapterKit } from '../../kit.js';
import { ClusterAdmin } from './cluster-admin.js';

const WORKLOADS = ['support-widget', 'ticket-sync'];

export const kit: AdapterKit = {
  kind: 'consumers',
  type: 'kubernetes-secret',
  noFaultCase: 'it talks to a real kube-apiserver, not a SaaS stand-in: kubernetes-secret.test.ts beside this file covers its refusals (RBAC)',
  examples: [
    {
      // The Secret and the two Deployments that read it, on the test control plane.
      files: ['config/examples/kubernetes.yaml'],
      run: async ({ sandbox, start, submit, completed }) => {
        const { kube } = inject('servers');
        const admin = new ClusterAdmin(kube);
        const config = new KubeConfig();
        config.loadFromFile(kube.adminKubeconfig);
        const apps = config.makeApiClient(AppsV1Api);
        const nodes = await new FakeNodes(kube.adminKubeconfig, 'examples').start();
        try {
          await admin.namespace('apps');
          for (const name of WORKLOADS)
            await apps.createNamespacedDeployment({
              namespace: 'apps',
              body: {
                metadata: { name },
                spec: {
                  replicas: 1,
                  selector: { matchLabels: { app: name } },
                  template: {
                    metadata: { labels: { app: name } },
                    spec: { nodeSelector: nodeSelectorFor('examples'), containers: [{ name: 'app', image: `${name}:1` }] },
                  },
                },
              },
            });
          const file = 'config/examples/kubernetes.yaml';
          // Outside a cluster rotad reads KUBECONFIG, as a platform engineer's shell has it.
          const { daemon, env } = await start(file, { GLADLY_BASE_URL: sandbox.gladly.url, KUBECONFIG: kube.adminKubeconfig });
          try {
            await waitForEvent(daemon, 'action-required');
            const token = sandbox.gladly.createToken('api-user@acme.example').value;
            await submit(file, env, 'gladly-prod', token);
            await completed(daemon, 'gladly-prod');
            expect(await admin.secretValue('apps', 'gladly-api', 'token')).toBe(token);
            for (const name of WORKLOADS) {
              const deployment = await apps.readNamespacedDeployment({ namespace: 'apps', name });
              expect(deployment.spec?.template.metadata?.annotations?.['fingerprint.rotad.dev/gladly-prod'], name).toMatch(/^[0-9a-f]{16}$/);
              await eventually(async () => (await apps.readNamespacedDeployment({ namespace: 'apps', name })).status?.updatedReplicas === 1, 10_000);
            }
          } finally {
            expect((await daemon.stop()).code).toBe(0);
          }
        } finally {
          nodes.stop();
        }
      },
    },
  ],
};
