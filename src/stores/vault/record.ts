import { z } from 'zod';
import { IDLE_STATE, PolicyState } from '../../rotation/state.js';

/** Non-secret facts of a credential that lives in a KV version of the application path. */
export const VersionFacts = z.object({
  version: z.int(),
  rotationId: z.string(),
  createdAt: z.number(),
  id: z.string().optional(),
  expiresAt: z.number().optional(),
  revokedAt: z.number().optional(),
});
export type VersionFacts = z.infer<typeof VersionFacts>;

/**
 * rotad's own record for one policy, at the store's statePath. The pending credential lives here
 * (never as a version of the path applications read) until it is verified and promoted.
 */
export const StateRecord = z.object({
  state: PolicyState,
  /** Compare-and-swap counter of `state` (the KV version also moves when pending changes). */
  stateRevision: z.int(),
  pending: z.object({ value: z.string(), rotationId: z.string(), createdAt: z.number(), id: z.string().optional(), expiresAt: z.number().optional() }).optional(),
  current: VersionFacts.optional(),
  previous: VersionFacts.optional(),
  /** Set while promotion writes the application path: the version it must replace. */
  promoting: z.object({ rotationId: z.string(), fromVersion: z.int() }).optional(),
});
export type StateRecord = z.infer<typeof StateRecord>;

export const EMPTY_RECORD: StateRecord = { state: IDLE_STATE, stateRevision: 0 };
