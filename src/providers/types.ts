import type { Clock } from '../clock.js';
import type { Logger } from '../observability/logger.js';
import type { Secret } from '../secret.js';
import type { StoredCredential } from '../stores/types.js';

/** What a provider's API allows; the engine adapts the protocol to it (docs/design.md). */
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

/** What a person is asked to do in the provider's UI. Never holds a secret. */
export interface PersonRequest {
  /** One line: what to do. */
  summary: string;
  /** The account to sign in as. */
  account: string;
  /** Where to go. */
  url: string;
  /** The exact UI steps, in order. */
  steps: string[];
  /** What happens when they act (e.g. consumers break until the new key is handed over). */
  warning?: string | undefined;
}

/** The parts of a provider whose credentials a person creates and deletes in the UI. */
export interface AssistedSteps {
  /** What to ask for; `current` is the credential in use, if any. */
  createRequest(ctx: ProviderContext, current: StoredCredential | undefined): PersonRequest;
  /**
   * Checks a value a person handed over (shape, then an authenticated call) and returns its facts.
   * Throws SUBMISSION_REFUSED with a reason a person can act on; transient failures stay retryable.
   */
  accept(ctx: ProviderContext, value: Secret, current: StoredCredential | undefined): Promise<NewCredential>;
  /** What to ask when the old credential must be deleted in the UI. */
  deleteRequest(ctx: ProviderContext, old: StoredCredential, current: StoredCredential | undefined): PersonRequest;
}

export interface Provider {
  readonly capabilities: ProviderCapabilities;
  readonly steps: ProviderStepText;
  /** Creates (or generates) a new credential. Present when `createByApi`. */
  obtain?(ctx: ProviderContext, current: StoredCredential | undefined): Promise<NewCredential>;
  /** Present when a person creates (and possibly deletes) credentials. */
  assisted?: AssistedSteps;
  /** Proves the credential works (an authenticated read). Throws VERIFY_FAILED or a provider error. */
  verify(ctx: ProviderContext, credential: StoredCredential): Promise<void>;
  /**
   * Revokes a credential by API; "already gone" is success. Present only when `revokeByApi`.
   * Answers 'ask-person' when it cannot (e.g. the credential's id is unknown).
   */
  revoke?(ctx: ProviderContext, credential: StoredCredential, current: StoredCredential | undefined): Promise<void | 'ask-person'>;
  /** True when the provider now refuses the credential (401/403): how a revocation is confirmed. */
  isRejected?(ctx: ProviderContext, credential: StoredCredential): Promise<boolean>;
}
