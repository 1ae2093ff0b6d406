import { z } from 'zod';
import { IDLE_STATE, PolicyState } from '../../policy-state.js';
import { CredentialFacts } from '../state-record.js';

/** Non-secret facts of a credential that lives in a KV version of the application path. */
export const VersionFacts = CredentialFacts.extend({ version: z.int() });
export type VersionFacts = z.infer<typeof VersionFacts>;

/**
 * rotad's own record for one policy, at the store's statePath. The pending credential lives here
 * (never as a version of the path applications read) until it is verified and promoted.
 */
export const StateRecord = z.object({
  state: PolicyState,
  /** Compare-and-swap counter of `state` (the KV version also moves when pending changes). */
  stateRevision: z.int(),
  pending: CredentialFacts.omit({ revokedAt: true }).extend({ value: z.string() }).optional(),
  current: VersionFacts.optional(),
  previous: VersionFacts.optional(),
  /** Set while promotion writes the application path: the version it must replace. */
  promoting: z.object({ rotationId: z.string(), fromVersion: z.int() }).optional(),
});
export type StateRecord = z.infer<typeof StateRecord>;

export const EMPTY_RECORD: StateRecord = { state: IDLE_STATE, stateRevision: 0 };
