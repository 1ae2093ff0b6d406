import { callContext, consumer, credential, MATRIX_TIMEOUT, peersWith } from '../../helpers.js';
import type { AdapterKit } from '../../kit.js';
import { gladlyToStackOne } from '../../providers/gladly/kit.js';
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
  examples: [gladlyToStackOne('config/examples/stackone-account.yaml', 'gladly-for-stackone', 'stackone@acme.example')],
};
