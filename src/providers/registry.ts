import { awsIamAccessKeyProvider } from './aws-iam-access-key/index.js';
import { cutoverProvider } from './cutover/index.js';
import { gladlyProvider } from './gladly/index.js';
import { gorgiasProvider } from './gorgias/index.js';
import { httpProvider } from './http/index.js';
import { mysqlProvider } from './mysql/index.js';
import { postgresProvider } from './postgres/index.js';
import { randomProvider } from './random/index.js';

/** Every provider type, by the `type:` that selects it in YAML (= its folder under providers/). */
export const providerRegistry = {
  random: randomProvider,
  gladly: gladlyProvider,
  gorgias: gorgiasProvider,
  cutover: cutoverProvider,
  http: httpProvider,
  'aws-iam-access-key': awsIamAccessKeyProvider,
  postgres: postgresProvider,
  mysql: mysqlProvider,
} as const;
