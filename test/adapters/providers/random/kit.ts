import type { AdapterKit } from '../../kit.js';

export const kit: AdapterKit = {
  kind: 'providers',
  type: 'random',
  noFaultCase: 'it generates the secret locally and calls nothing; config/examples/vault.yaml and the store suites rotate it',
};
