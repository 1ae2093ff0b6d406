import type { Secret } from '../secret.js';
import type { CredentialFact } from '../stores/types.js';
import type { Clock } from '../clock.js';
import type { Logger } from '../observability/logger.js';
import type { Store, StoredCredential } from '../stores/types.js';

/** Other parts of the same config a consumer may use: another policy's credential, another store. */
export interface Peers {
  /** The current credential of another policy, with its provider options (e.g. a Gladly API token to call Gladly with). */
  policy(name: string): Promise<{ credential: StoredCredential | undefined; provider: { type: string } }>;
  /** A store defined under `stores:`. */
  store(name: string): Store;
}

export interface ConsumerContext {
  policy: string;
  rotationId: string;
  logger: Logger;
  clock: Clock;
  signal: AbortSignal;
  /** Set by the engine; consumers that need another policy or store use it. */
  peers?: Peers | undefined;
  /** The facts the policy writes beside its secret (`secret.fields`), e.g. `{ username: 'credentialId' }`: consumers hand on the same fields. */
  facts?: Readonly<Record<string, CredentialFact>> | undefined;
  /** The keyed fingerprint of a value (the audit trail's: HMAC under the installation's key), to name a credential where it lands without its value. */
  fingerprint?: ((value: Secret) => string) | undefined;
  /** For a consumer that waits long (a rollout), between its requests: as ProviderContext.keepLease. */
  keepLease?: (() => Promise<void>) | undefined;
}

/** Something that must learn the new credential. `update` may run twice for one rotation id. */
export interface Consumer {
  /** A short, secret-free description for logs and `plan` ("exec ./reload.sh", "http POST …"). */
  readonly label: string;
  /** Hands the credential over and resolves only once the consumer confirmed it. */
  update(ctx: ConsumerContext, credential: StoredCredential): Promise<void>;
  /**
   * `rotad check`: whether the consumer can be reached with its own credentials, changing
   * nothing. Resolves with what was seen ("account acc-1 readable, status active"); throws why not.
   */
  check?(ctx: ConsumerContext): Promise<string>;
}
