import type { AdapterKit } from '../../kit.js';

export const kit: AdapterKit = {
  kind: 'consumers',
  type: 'kubernetes-secret',
  noFaultCase: 'it talks to a real kube-apiserver, not a SaaS stand-in: kubernetes-secret.test.ts beside this file covers its refusals (RBAC)',
};
