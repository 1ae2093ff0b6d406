import type { AdapterKit } from '../../kit.js';

export const kit: AdapterKit = {
  kind: 'consumers',
  type: 'exec',
  noFaultCase: 'it runs a local command, no SaaS: test/unit/consumers.test.ts checks exit codes, timeouts and what the command is given',
};
