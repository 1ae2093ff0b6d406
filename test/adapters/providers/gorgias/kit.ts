import { expect } from 'vitest';
import { waitForEvent } from '../../../helpers/saas.js';
import { callContext, credential, MATRIX_TIMEOUT, provider } from '../../helpers.js';
import type { AdapterKit } from '../../kit.js';
import { GorgiasServer } from './stand-in.js';

export const kit: AdapterKit = {
  kind: 'providers',
  type: 'gorgias',
  faultCase: async () => {
    const server = await new GorgiasServer('acme').start();
    const key = server.reset('ops@acme.test');
    const gorgias = provider({ type: 'gorgias', domain: 'acme', email: 'ops@acme.test', baseUrl: server.url, timeout: MATRIX_TIMEOUT });
    return {
      name: 'gorgias verify',
      role: 'provider',
      server,
      call: () => gorgias.verify(callContext, credential(key, 'ops@acme.test')),
      stop: () => server.stop(),
    };
  },
  examples: [
    {
      files: ['config/examples/gorgias.yaml'],
      run: async ({ sandbox, start, submit, completed }) => {
        const file = 'config/examples/gorgias.yaml';
        const { daemon, env } = await start(file, { GORGIAS_BASE_URL: sandbox.gorgias.url });
        try {
          await waitForEvent(daemon, 'action-required', 1);
          await submit(file, env, 'gorgias-support', sandbox.gorgias.reset('api-a@acme.example'));
          await submit(file, env, 'gorgias-reports', sandbox.gorgias.reset('reports@acme.example'));
          await completed(daemon, 'gorgias-support');
          await completed(daemon, 'gorgias-reports');
        } finally {
          expect((await daemon.stop()).code).toBe(0);
        }
      },
    },
  ],
};
