import { z } from 'zod';
import { DurationText } from '../../duration-text.js';
import { EnvName } from '../../env-name.js';

const TokenAuth = z.strictObject({
  method: z.literal('token'),
  /** Environment variable holding the token. Default: VAULT_TOKEN. */
  tokenEnv: EnvName.default('VAULT_TOKEN'),
  /** File holding the token (e.g. written by Vault Agent); wins over tokenEnv. */
  tokenFile: z.string().optional(),
});

const AppRoleAuth = z.strictObject({
  method: z.literal('approle'),
  /** Where the AppRole auth method is mounted. Default: approle. */
  mount: z.string().default('approle'),
  /** The role id (not secret). */
  roleId: z.string().min(1),
  /** Environment variable holding the secret id. Default: VAULT_SECRET_ID. */
  secretIdEnv: EnvName.default('VAULT_SECRET_ID'),
  /** File holding the secret id; wins over secretIdEnv. */
  secretIdFile: z.string().optional(),
});

const KubernetesAuth = z.strictObject({
  method: z.literal('kubernetes'),
  /** Where the Kubernetes auth method is mounted. Default: kubernetes. */
  mount: z.string().default('kubernetes'),
  /** The Vault role bound to this service account. */
  role: z.string().min(1),
  /** The service-account token. Default: the path Kubernetes mounts it at. */
  jwtFile: z.string().default('/var/run/secrets/kubernetes.io/serviceaccount/token'),
});

export const VaultAuthOptions = z.discriminatedUnion('method', [TokenAuth, AppRoleAuth, KubernetesAuth]);
export type VaultAuthOptions = z.infer<typeof VaultAuthOptions>;

/** Options of the `vault` store: HashiCorp Vault or OpenBao, KV version 2. */
export const VaultStoreOptions = z.strictObject({
  type: z.literal('vault'),
  /** e.g. https://vault.example.com:8200 — plain HTTP only when it says http://. */
  address: z.url({ protocol: /^https?$/, error: 'expected an http:// or https:// address' }),
  /** Vault Enterprise namespace (sent as X-Vault-Namespace). */
  namespace: z.string().optional(),
  /** KV v2 mount. Default: secret. */
  mount: z.string().default('secret'),
  /** Path applications read, `{policy}` replaced by the policy name; a policy's secret.path wins. Default: rotad/{policy}. */
  path: z.string().default('rotad/{policy}'),
  /** Field of the KV data that holds the secret; other fields are kept. Default: value. */
  field: z.string().default('value'),
  /** Where rotad keeps its own state record (same mount). Applications never read it. Default: rotad-state/{policy}. */
  statePath: z.string().default('rotad-state/{policy}'),
  /**
   * Where a person may write a token for an assisted rotation with their own tool
   * (`bao kv put -mount=secret rotad-handover/NAME value=-`), then send SIGUSR2. rotad reads the
   * field `value` and destroys the secret once taken. Default: rotad-handover/{policy}.
   */
  handoverPath: z.string().default('rotad-handover/{policy}'),
  auth: VaultAuthOptions.default({ method: 'token', tokenEnv: 'VAULT_TOKEN' }),
  /** PEM CA bundle that signed Vault's certificate (replaces the system roots). */
  caFile: z.string().optional(),
  /** Per request. Default: 10s. */
  timeout: DurationText.default('10s'),
});
export type VaultStoreOptions = z.infer<typeof VaultStoreOptions>;
