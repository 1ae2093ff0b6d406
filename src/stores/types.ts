import type { Secret } from '../secret.js';
import type { PolicyState } from '../rotation/state.js';

/** A credential as the store keeps it: the secret plus its non-secret facts. Times are epoch ms. */
export interface StoredCredential {
  value: Secret;
  /** The rotation that produced it; stage/promote are idempotent on this key. */
  rotationId: string;
  createdAt: number;
  /** The provider's id for it (token id, key id), when the provider has one. */
  id?: string | undefined;
  expiresAt?: number | undefined;
  /** Set once the provider has confirmed it no longer accepts this credential. */
  revokedAt?: number | undefined;
}

/** Everything a store holds for one policy, read at one instant. */
export interface PolicySnapshot {
  current?: StoredCredential | undefined;
  previous?: StoredCredential | undefined;
  pending?: StoredCredential | undefined;
  state: PolicyState;
  /** Opaque token for compare-and-swap on `state`. */
  revision: string;
}

export interface StoreCapabilities {
  /** The store keeps the previous credential, so `rollback` can restore it. */
  rollback: boolean;
}

/**
 * Where credentials and rotation state live. Every method is idempotent for the same rotation id,
 * so the engine may repeat any step after a crash. "Not found" is a value (an empty snapshot),
 * not an exception; failures are RotadErrors with stable codes.
 */
export interface Store {
  readonly capabilities: StoreCapabilities;
  /** Reads one policy. A policy never seen yields an idle state and no credentials. */
  read(policy: string): Promise<PolicySnapshot>;
  /** Replaces the state if `expectedRevision` is still current; throws StoreConflictError otherwise. */
  writeState(policy: string, state: PolicyState, expectedRevision: string): Promise<string>;
  /** Records a new credential as pending. Same rotation id already pending: no-op. Another: STORE_CONFLICT. */
  stagePending(policy: string, credential: StoredCredential): Promise<void>;
  /** Forgets the pending credential of `rotationId`, if it is still there. */
  discardPending(policy: string, rotationId: string): Promise<void>;
  /** Pending → current, current → previous. No-op when `rotationId` is already current. */
  promote(policy: string, rotationId: string): Promise<void>;
  /** Previous → current, current → previous (for `rotad rollback`). */
  rollback(policy: string): Promise<void>;
  /** Records that the previous credential (of `rotationId`) was revoked at the provider. */
  markPreviousRevoked(policy: string, rotationId: string, at: number): Promise<void>;
  /** Checks that the store can be reached and read (for readiness and start-up). */
  ping(): Promise<void>;
  /** Releases connections and locks; safe to call twice. */
  close(): Promise<void>;
}
