import type { AdapterKit } from '../../kit.js';

export const kit: AdapterKit = {
  kind: 'consumers',
  type: 'kubernetes-rollout',
  noFaultCase:
    'it talks to a real control plane (API server, controllers, scheduler), not a SaaS stand-in: kubernetes-rollout.test.ts beside this file covers stalled rollouts',
};
