import type { Clock } from '../clock.js';
import type { Logger } from '../observability/logger.js';
import type { StoredCredential } from '../stores/types.js';

export interface ConsumerContext {
  policy: string;
  rotationId: string;
  logger: Logger;
  clock: Clock;
  signal: AbortSignal;
}

/** Something that must learn the new credential. `update` may run twice for one rotation id. */
export interface Consumer {
  /** A short, secret-free description for logs and `plan` ("exec ./reload.sh", "http POST …"). */
  readonly label: string;
  /** Hands the credential over and resolves only once the consumer confirmed it. */
  update(ctx: ConsumerContext, credential: StoredCredential): Promise<void>;
}
