import { expect, inject } from 'vitest';
import type { AdapterKit } from '../../kit.js';

export const kit: AdapterKit = {
  kind: 'consumers',
  type: 'store',
  noFaultCase: 'it writes to another store of the config: the store contract suite (test/stores) puts each store fault in its way',
  examples: [
    {
      files: ['config/examples/store.yaml'],
      run: async ({ start, completed, secrets }) => {
        const { address, rootToken } = inject('servers').vault;
        const { daemon } = await start('config/examples/store.yaml', { VAULT_ADDR: address, VAULT_TOKEN: rootToken });
        try {
          await completed(daemon, 'shared-signing-key');
          const mirrored = await fetch(`${address}/v1/secret/data/rotad/mirror/shared-signing-key`, { headers: { 'x-vault-token': rootToken } });
          const value = ((await mirrored.json()) as { data: { data: { value: string } } }).data.data.value;
          expect(value).toMatch(/^[0-9a-f]{64}$/);
          secrets.push(value);
        } finally {
          expect((await daemon.stop()).code).toBe(0);
        }
      },
    },
  ],
};
