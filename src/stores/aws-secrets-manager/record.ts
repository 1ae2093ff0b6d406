import { z } from 'zod';
import { IDLE_STATE, PolicyState } from '../../rotation/state.js';
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
   * The pending value of a policy whose secret has no version yet. Secrets Manager labels the first
   * version of a secret AWSCURRENT whatever is asked, so it waits here (in this secret, encrypted
   * like any other) until promote writes it.
   */
  firstValue: z.string().optional(),
  current: VersionFacts.optional(),
  previous: VersionFacts.optional(),
});
export type StateRecord = z.infer<typeof StateRecord>;

export const EMPTY_RECORD: StateRecord = { state: IDLE_STATE, stateRevision: 0 };
