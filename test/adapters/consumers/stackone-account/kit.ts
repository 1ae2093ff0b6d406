import { expect } from 'vitest';
import { waitForEvent } from '../../../helpers/saas.js';
import { callContext, consumer, credential, MATRIX_TIMEOUT, peersWith } from '../../helpers.js';
import type { AdapterKit } from '../../kit.js';
import { StackOneServer } from './stand-in.js';

const MATRIX_KEY = 'stackone-matrix-key-33aa';

export const kit: AdapterKit = {
  kind: 'consumers',
  type: 'stackone-account',
  faultCase: async () => {
    const server = await new StackOneServer(MATRIX_KEY).start();
    server.accounts.set('acc-1', { id: 'acc-1', provider: 'gladly', credentials: {}, status: 'active' });
    process.env.MATRIX_STACKONE_KEY = MATRIX_KEY;
    const stackone = consumer({ type: 'stackone-account', accountId: 'acc-1', baseUrl: server.url, apiKeyEnv: 'MATRIX_STACKONE_KEY', timeout: MATRIX_TIMEOUT });
    const peers = peersWith({ credential: undefined, provider: { type: 'random' } });
    return {
      name: 'stackone-account update',
      role: 'consumer',
      server,
      call: () => stackone.update({ ...callContext, peers }, credential('gladly-token-for-stackone')),
      readBack: { match: 'GET /accounts/acc-1', body: { id: 'acc-1' } },
      stop: () => server.stop(),
    };
  },
  examples: [
    {
      files: ['config/examples/stackone-account.yaml'],
      run: async ({ sandbox, start, submit, completed }) => {
        const file = 'config/examples/stackone-account.yaml';
        const { daemon, env } = await start(file, {
          GLADLY_BASE_URL: sandbox.gladly.url,
          STACKONE_BASE_URL: sandbox.stackone.url,
          STACKONE_API_KEY: sandbox.env.STACKONE_API_KEY!,
        });
        try {
          await waitForEvent(daemon, 'action-required');
          await submit(file, env, 'gladly-for-stackone', sandbox.gladly.createToken('stackone@acme.example').value);
          await completed(daemon, 'gladly-for-stackone');
          expect(sandbox.stackone.accounts.get('acc-gladly')).toMatchObject({ status: 'active' });
        } finally {
          expect((await daemon.stop()).code).toBe(0);
        }
      },
    },
  ],
};
