import type { Clock } from '../clock.js';
import type { Logger } from '../observability/logger.js';
import type { Secret } from '../secret.js';
import type { StoredCredential } from '../stores/types.js';

/** What a provider's API allows; the engine adapts the protocol to it (DESIGN.md). */
export interface ProviderCapabilities {
  /** New credentials can be created by API (otherwise a person creates them: assisted). */
  createByApi: boolean;
  /** Old credentials can be revoked by API (otherwise a person deletes them). */
  revokeByApi: boolean;
  /** Old and new credential can be valid at the same time. */
  multipleLive: boolean;
  /** Creating a new credential invalidates the old one at once. */
  resetInvalidatesOld: boolean;
  /** The provider reports when a credential expires. */
  expiryKnown: boolean;
}

export interface ProviderContext {
  policy: string;
  rotationId: string;
  logger: Logger;
  clock: Clock;
  signal: AbortSignal;
}

/** A freshly obtained credential, before it is stored. */
export interface NewCredential {
  value: Secret;
  id?: string | undefined;
  expiresAt?: number | undefined;
}

/** How each provider-specific step is done, in words, for `rotad plan`. */
export interface ProviderStepText {
  obtain: string;
  verify: string;
  revoke: string;
}

export interface Provider {
  readonly capabilities: ProviderCapabilities;
  readonly steps: ProviderStepText;
  /** Creates (or generates) a new credential. */
  obtain(ctx: ProviderContext): Promise<NewCredential>;
  /** Proves the credential works (an authenticated read). Throws VERIFY_FAILED or a provider error. */
  verify(ctx: ProviderContext, credential: StoredCredential): Promise<void>;
  /** Revokes a credential; "already gone" is success. Present only when `revokeByApi`. */
  revoke?(ctx: ProviderContext, credential: StoredCredential): Promise<void>;
}
