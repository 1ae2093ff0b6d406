import type { z } from 'zod';
import type { AdapterDefinition } from '../adapters/definition.js';
import type { Clock } from '../clock.js';
import type { Logger } from '../observability/logger.js';
import type { Secret } from '../secret.js';
import type { StoredCredential } from '../stores/types.js';

export interface ProviderContext {
  policy: string;
  rotationId: string;
  logger: Logger;
  clock: Clock;
  signal: AbortSignal;
  /**
   * Before a second side effect within one call (check, then act): keeps the policy's lease
   * (renewed once half has passed) and throws when another writer took the policy meanwhile (this
   * process stalled). Absent where nobody holds the policy (check, status).
   */
  keepLease?: (() => Promise<void>) | undefined;
  /**
   * obtain only: an earlier attempt of this rotation to create a credential began at this time and
   * died before rotad saw the answer. A provider that can tell its own creations from that moment
   * (and whose secrets are shown only once, so nobody holds them) may clean them up.
   */
  unseenSince?: number | undefined;
}

/** A freshly obtained credential, before it is stored. */
export interface NewCredential {
  value: Secret;
  id?: string | undefined;
  expiresAt?: number | undefined;
}

/** How each provider-specific step is done, in words, for `rotad plan`. */
interface ProviderStepText {
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

/**
 * A provider type as registered: the adapter anatomy plus whether a person creates its credentials.
 * Config resolution needs that before any provider is built (requests to a person start early
 * enough before an expiry); the wiring checks it against the built provider's `assisted` steps,
 * so the two cannot disagree.
 */
export type ProviderDefinition<Schema extends z.ZodType> = AdapterDefinition<Schema, Provider> & { assisted: boolean };

/** The provider calls the daemon counts in its metrics (rotad_provider_requests_total). */
export const PROVIDER_OPERATIONS = ['obtain', 'verify', 'revoke'] as const;

/**
 * A provider adapter. What it can do is the methods it has, nothing else: `obtain` (creates by
 * API) or `assisted` (a person creates), `revoke` (revokes by API; without it a person deletes,
 * or the old credential is left to expire), `isRejected` (a revocation can be confirmed). The
 * engine adapts the protocol to them (docs/design.md); a flag that could disagree with the
 * methods, and silently skip a revocation, does not exist.
 */
export interface Provider {
  readonly steps: ProviderStepText;
  /** Creates (or generates) a new credential. */
  obtain?(ctx: ProviderContext, current: StoredCredential | undefined): Promise<NewCredential>;
  /** Present when a person creates (and possibly deletes) credentials. */
  assisted?: AssistedSteps;
  /** Proves the credential works (an authenticated read). Throws VERIFY_FAILED or a provider error. */
  verify(ctx: ProviderContext, credential: StoredCredential): Promise<void>;
  /**
   * Revokes a credential by API; "already gone" is success. Present only where the provider's API can.
   * Answers 'ask-person' when it cannot (e.g. the credential's id is unknown).
   */
  revoke?(ctx: ProviderContext, credential: StoredCredential, current: StoredCredential | undefined): Promise<void | 'ask-person'>;
  /** True when the provider now refuses the credential (401/403): how a revocation is confirmed. */
  isRejected?(ctx: ProviderContext, credential: StoredCredential): Promise<boolean>;
  /**
   * `rotad check`: whether rotad's own access to the provider (a manager account, an API identity)
   * can do what rotations need, changing nothing. Resolves with what was seen; throws what is missing.
   */
  check?(ctx: ProviderContext): Promise<string>;
}
