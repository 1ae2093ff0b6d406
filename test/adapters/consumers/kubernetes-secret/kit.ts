import { expect, inject } from 'vitest';
import { waitForEvent } from '../../../helpers/saas.js';
import type { AdapterKit } from '../../kit.js';
import { ClusterAdmin } from './cluster-admin.js';

export const kit: AdapterKit = {
  kind: 'consumers',
  type: 'kubernetes-secret',
  noFaultCase: 'it talks to a real kube-apiserver, not a SaaS stand-in: kubernetes-secret.test.ts beside this file covers its refusals (RBAC)',
  examples: [
    {
      files: ['config/examples/kubernetes.yaml'],
      run: async ({ sandbox, start, submit, completed }) => {
        const { kube } = inject('servers');
        const admin = new ClusterAdmin(kube);
        await admin.namespace('apps');
        const file = 'config/examples/kubernetes.yaml';
        // Outside a cluster rotad reads KUBECONFIG, as a platform engineer's shell has it.
        const { daemon, env } = await start(file, { GLADLY_BASE_URL: sandbox.gladly.url, KUBECONFIG: kube.adminKubeconfig });
        try {
          await waitForEvent(daemon, 'action-required');
          const token = sandbox.gladly.createToken('api-user@acme.example').value;
          await submit(file, env, 'gladly-prod', token);
          await completed(daemon, 'gladly-prod');
          expect(await admin.secretValue('apps', 'gladly-api', 'token')).toBe(token);
        } finally {
          expect((await daemon.stop()).code).toBe(0);
        }
      },
    },
  ],
};
