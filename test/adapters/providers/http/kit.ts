import { expect } from 'vitest';
import { callContext, credential, MATRIX_TIMEOUT, provider } from '../../helpers.js';
import type { AdapterKit } from '../../kit.js';
import { TokensApiServer } from './stand-in.js';

export const kit: AdapterKit = {
  kind: 'providers',
  type: 'http',
  faultCase: async () => {
    const server = await new TokensApiServer().start();
    const token = server.create('matrix');
    const http = provider({
      type: 'http',
      baseUrl: server.url,
      timeout: MATRIX_TIMEOUT,
      create: { url: '/v1/tokens', headers: { authorization: 'Bearer {{current}}' }, response: { token: 'token' } },
      verify: { url: '/v1/me', headers: { authorization: 'Bearer {{credential}}' } },
    });
    return {
      name: 'http verify',
      role: 'provider',
      server,
      call: () => http.verify(callContext, credential(token.value, token.id)),
      stop: () => server.stop(),
    };
  },
  examples: [
    {
      files: ['config/examples/http.yaml'],
      run: async ({ sandbox, start, completed, secrets }) => {
        const bootstrap = sandbox.acme.create().value;
        secrets.push(bootstrap);
        const { daemon } = await start('config/examples/http.yaml', { ACME_BASE_URL: sandbox.acme.url, ACME_BOOTSTRAP_TOKEN: bootstrap });
        try {
          await completed(daemon, 'acme-api');
        } finally {
          expect((await daemon.stop()).code).toBe(0);
        }
      },
    },
  ],
};
