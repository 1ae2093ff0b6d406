import { expect } from 'vitest';
import { runCli } from '../../../helpers/daemon.js';
import { waitForEvent } from '../../../helpers/saas.js';
import { GladlyServer } from '../../providers/gladly/stand-in.js';
import { callContext, consumer, credential, MATRIX_TIMEOUT, peersWith } from '../../helpers.js';
import type { AdapterKit } from '../../kit.js';

export const kit: AdapterKit = {
  kind: 'consumers',
  type: 'gladly-webhook',
  faultCase: async () => {
    const server = await new GladlyServer('acme').start();
    server.addUser('api@acme.test');
    server.webhooks.set('wh-1', { id: 'wh-1', url: 'https://x.test', enabled: true });
    const gladlyToken = server.createToken('api@acme.test').value;
    const peers = peersWith({
      credential: credential(gladlyToken),
      provider: { type: 'gladly', organization: 'acme', environment: 'production', email: 'api@acme.test', baseUrl: server.url, timeout: MATRIX_TIMEOUT } as {
        type: string;
      },
    });
    const webhook = consumer({ type: 'gladly-webhook', webhookId: 'wh-1', auth: { policy: 'g' }, set: 'header', header: 'X-Secret', timeout: MATRIX_TIMEOUT });
    return {
      name: 'gladly-webhook update',
      role: 'consumer',
      server,
      call: () => webhook.update({ ...callContext, peers }, credential('webhook-secret-value-1')),
      readBack: { match: 'GET /api/v1/webhooks/wh-1', body: { id: 'wh-1', hasCredentials: false, headerKeys: [] } },
      stop: () => server.stop(),
    };
  },
  examples: [
    {
      files: ['config/examples/gladly-webhook.yaml'],
      run: async ({ sandbox, start, submit, completed, secrets }) => {
        const file = 'config/examples/gladly-webhook.yaml';
        const { daemon, env } = await start(file, { GLADLY_BASE_URL: sandbox.gladly.url });
        try {
          await waitForEvent(daemon, 'action-required');
          await submit(file, env, 'gladly-prod', sandbox.gladly.createToken('api-user@acme.example').value);
          await completed(daemon, 'gladly-prod');
          await runCli(['rotate', 'gladly-webhook-password', '--config', file], env);
          await completed(daemon, 'gladly-webhook-password');
          expect(sandbox.gladly.webhooks.get('wh-orders')?.credentials?.username).toBe('gladly');
          secrets.push(sandbox.gladly.webhooks.get('wh-orders')!.credentials!.password);
        } finally {
          expect((await daemon.stop()).code).toBe(0);
        }
      },
    },
  ],
};
