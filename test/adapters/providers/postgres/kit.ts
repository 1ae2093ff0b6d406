import type { AdapterKit } from '../../kit.js';

export const kit: AdapterKit = {
  kind: 'providers',
  type: 'postgres',
  noFaultCase:
    'it speaks the PostgreSQL wire protocol to a real server (postgres.test.ts: refused logins, a missing privilege, an unreachable server), not HTTP to a SaaS stand-in',
};
