import { z } from 'zod';
import { IDLE_STATE, PolicyState } from '../../policy-state.js';
import { CredentialFacts } from '../state-record.js';

/** Non-secret facts of one version of the application's secret (VersionId = the rotation id rotad put it with). */
export const VersionFacts = CredentialFacts.extend({ versionId: z.string() });
export type VersionFacts = z.infer<typeof VersionFacts>;

/** rotad's record for one policy, kept as the SecretString of the state secret. */
export const StateRecord = z.object({
  state: PolicyState,
  /** Compare-and-swap counter of `state`. */
  stateRevision: z.int(),
  pending: CredentialFacts.omit({ revokedAt: true }).optional(),
  /**
   * The pending value, kept here (in this secret, encrypted like any other) from staging until
   * promote. It is written before the AWSPENDING version is put, so a kill in between loses neither
   * the value nor its facts; and for a secret with no version yet it is the only copy, because
   * Secrets Manager labels a secret's first version AWSCURRENT whatever is asked.
   */
  firstValue: z.string().optional(),
  current: VersionFacts.optional(),
  previous: VersionFacts.optional(),
});
export type StateRecord = z.infer<typeof StateRecord>;

export const EMPTY_RECORD: StateRecord = { state: IDLE_STATE, stateRevision: 0 };
