import type { AdapterKit } from '../../kit.js';

export const kit: AdapterKit = {
  kind: 'providers',
  type: 'mysql',
  noFaultCase:
    'it speaks the MySQL protocol to a real MariaDB server (mysql.test.ts: refused logins, locked accounts, an unreachable server), not HTTP to a SaaS stand-in',
};
