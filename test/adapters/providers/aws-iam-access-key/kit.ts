import type { AdapterKit } from '../../kit.js';

export const kit: AdapterKit = {
  kind: 'providers',
  type: 'aws-iam-access-key',
  noFaultCase:
    'it calls AWS IAM and STS, which moto serves in its own tests (aws-iam-access-key.test.ts: refused permissions, an unreachable endpoint); the SaaS stand-ins of the matrix do not speak the AWS query protocol',
};
