import { awsSecretsManagerStore } from './aws-secrets-manager/index.js';
import { fileStore } from './file/index.js';
import { vaultStore } from './vault/index.js';

/** Every store type, by the `type:` that selects it in YAML (= its folder under stores/). */
export const storeRegistry = {
  'aws-secrets-manager': awsSecretsManagerStore,
  file: fileStore,
  vault: vaultStore,
} as const;
