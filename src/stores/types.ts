import type { Secret } from '../secret.js';
import type { HistoryEntry, PolicyState } from '../policy-state.js';
import type { Roster } from './roster-record.js';

/** Which policy, and where in the store its secret lives (the policy's `secret:` block). */
export interface PolicyRef {
  name: string;
  /** Path (Vault) or secret name (AWS) that applications read; unset: the store's default for the name. */
  path?: string | undefined;
  /** JSON field that holds the secret, other fields being kept; unset: the store's default. */
  field?: string | undefined;
  /** Fields written beside the secret in every version, with the fact each holds (`secret.fields`). */
  facts?: Readonly<Record<string, CredentialFact>> | undefined;
}

/** A non-secret fact about a credential that a store can write beside it. */
export type CredentialFact = 'credentialId' | 'expiresAt';

/** The fact fields of `ref` for `credential`: `{ username: 'ops@acme.test', expires_at: '2027-…' }`; facts the credential lacks are left out. */
export function factFields(ref: PolicyRef, credential: Pick<StoredCredential, 'id' | 'expiresAt'>): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const [name, fact] of Object.entries(ref.facts ?? {})) {
    if (fact === 'credentialId' && credential.id !== undefined) fields[name] = credential.id;
    if (fact === 'expiresAt' && credential.expiresAt !== undefined) fields[name] = new Date(credential.expiresAt).toISOString();
  }
  return fields;
}

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

/** The store calls the daemon counts in its metrics (rotad_store_requests_total). */
export const STORE_OPERATIONS = [
  'read',
  'writeState',
  'stagePending',
  'discardPending',
  'promote',
  'rollback',
  'markPreviousRevoked',
  'readHistory',
  'fileHistory',
  'readRoster',
  'updateRoster',
  'ping',
] as const;

/**
 * Where credentials and rotation state live. Every method is idempotent for the same rotation id,
 * so the engine may repeat any step after a crash. "Not found" is a value (an empty snapshot),
 * not an exception; failures are RotadErrors with stable codes.
 */
export interface Store {
  /**
   * Reads one policy. A policy never seen yields an idle state and no credentials. During a promote
   * that was cut off (the new credential already where applications read it, the move not yet
   * recorded) it shows the move as not done: the replaced credential current, the new one pending.
   */
  read(policy: PolicyRef): Promise<PolicySnapshot>;
  /** Replaces the state if `expectedRevision` is still current; throws StoreConflictError otherwise. */
  writeState(policy: PolicyRef, state: PolicyState, expectedRevision: string): Promise<string>;
  /**
   * Records a new credential as pending. The same credential (rotation id and value) already
   * pending: no-op. Anything else pending, including another value under the same rotation id:
   * StoreConflictError (the caller revokes what it created).
   */
  stagePending(policy: PolicyRef, credential: StoredCredential): Promise<void>;
  /** Forgets the pending credential of `rotationId`, if it is still there. */
  discardPending(policy: PolicyRef, rotationId: string): Promise<void>;
  /** Pending → current, current → previous. No-op when `rotationId` is already current. */
  promote(policy: PolicyRef, rotationId: string): Promise<void>;
  /** Previous → current, current → previous (for `rotad rollback`). */
  rollback(policy: PolicyRef): Promise<void>;
  /** Records that the previous credential (of `rotationId`) was revoked at the provider. */
  markPreviousRevoked(policy: PolicyRef, rotationId: string, at: number): Promise<void>;
  /**
   * A value a person wrote into the policy's handover slot with their own tool (assisted rotation),
   * if any. Stores without a slot a person can write to leave this out (`rotad submit` still works).
   */
  takeHandover?(policy: PolicyRef): Promise<Secret | undefined>;
  /** Empties the handover slot; nothing there is success. */
  clearHandover?(policy: PolicyRef): Promise<void>;
  /** The ended rotations filed for the policy, oldest first; none filed yet is an empty list. */
  readHistory(policy: PolicyRef): Promise<HistoryEntry[]>;
  /**
   * Files ended rotations beside the policy's state, merged by rotation id and outcome with those
   * filed already, keeping the newest `keep`. Filing the same entries again changes nothing.
   */
  fileHistory(policy: PolicyRef, entries: readonly HistoryEntry[], keep: number): Promise<void>;
  /**
   * The record of the daemon replicas sharing this store (`daemon.sharding`); none yet is an empty
   * roster. Stores that serve one daemon (the file store) leave both out.
   */
  readRoster?(): Promise<Roster>;
  /** Read-modify-write of the roster under the store's compare-and-swap; `change` returning undefined writes nothing. */
  updateRoster?(change: (roster: Roster) => Roster | undefined): Promise<Roster>;
  /** Checks that the store can be reached and read (for readiness and start-up). */
  ping(): Promise<void>;
  /** Releases connections and locks; safe to call twice. */
  close(): Promise<void>;
}
