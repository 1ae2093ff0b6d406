import { expect } from 'vitest';
import { waitForEvent } from '../../../helpers/saas.js';
import { callContext, credential, MATRIX_TIMEOUT, provider } from '../../helpers.js';
import type { AdapterKit } from '../../kit.js';
import { CutoverServer } from './stand-in.js';

export const kit: AdapterKit = {
  kind: 'providers',
  type: 'cutover',
  faultCase: async () => {
    const server = await new CutoverServer().start();
    const token = server.createToken('9', 'matrix');
    const cutover = provider({ type: 'cutover', baseUrl: server.url, userId: 9, userName: 'bot', timeout: MATRIX_TIMEOUT });
    return {
      name: 'cutover verify',
      role: 'provider',
      server,
      call: () => cutover.verify(callContext, credential(token.value, token.id)),
      stop: () => server.stop(),
    };
  },
  examples: [
    {
      files: ['config/examples/cutover.yaml'],
      run: async ({ sandbox, start, submit, completed }) => {
        const file = 'config/examples/cutover.yaml';
        const { daemon, env } = await start(file, { CUTOVER_BASE_URL: sandbox.cutover.url });
        try {
          const label = /Label it exactly: (.+)/.exec(String((await waitForEvent(daemon, 'action-required')).detail))![1]!;
          await submit(file, env, 'cutover-runbooks', sandbox.cutover.createToken('42', label, 30).value);
          await completed(daemon, 'cutover-runbooks');
        } finally {
          expect((await daemon.stop()).code).toBe(0);
        }
      },
    },
  ],
};
