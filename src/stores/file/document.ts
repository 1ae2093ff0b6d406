import { z } from 'zod';
import { HistoryEntry, PolicyState } from '../../policy-state.js';
import { Secret } from '../../secret.js';
import type { StoredCredential } from '../types.js';

/** The on-disk envelope: only the key id and the ciphertext, nothing readable. */
export const Envelope = z.object({
  format: z.literal('rotad-file-store'),
  version: z.literal(1),
  /** Keyed fingerprint of the key (HMAC), so a wrong key is told apart from a damaged file. */
  keyId: z.string(),
  iv: z.string(),
  tag: z.string(),
  data: z.string(),
});
export type Envelope = z.infer<typeof Envelope>;

const CredentialJson = z.object({
  value: z.string(),
  rotationId: z.string(),
  createdAt: z.number(),
  id: z.string().optional(),
  expiresAt: z.number().optional(),
  revokedAt: z.number().optional(),
});
type CredentialJson = z.infer<typeof CredentialJson>;

export const PolicyEntry = z.object({
  current: CredentialJson.optional(),
  previous: CredentialJson.optional(),
  pending: CredentialJson.optional(),
  state: PolicyState,
  revision: z.int(),
  /** Ended rotations filed beside the state (Store.fileHistory), oldest first. */
  history: z.array(HistoryEntry).optional(),
});
export type PolicyEntry = z.infer<typeof PolicyEntry>;

/** The decrypted content of the store file. */
export const StoreDocument = z.object({ policies: z.record(z.string(), PolicyEntry) });
export type StoreDocument = z.infer<typeof StoreDocument>;

export function credentialToJson(credential: StoredCredential): CredentialJson {
  const { value, ...facts } = credential;
  return { ...facts, value: value.reveal() };
}

export function credentialFromJson(json: CredentialJson | undefined): StoredCredential | undefined {
  if (json === undefined) return undefined;
  const { value, ...facts } = json;
  return { ...facts, value: new Secret(value) };
}
