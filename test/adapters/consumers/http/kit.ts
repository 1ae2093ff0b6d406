import type { AdapterKit } from '../../kit.js';

export const kit: AdapterKit = {
  kind: 'consumers',
  type: 'http',
  noFaultCase: "a reload endpoint's answer body is not read, only its status: test/unit/consumers.test.ts checks it against a real local server",
};
