import { z } from 'zod';
import { StoreConflictError } from '../errors.js';
import type { PolicyState } from '../rotation/state.js';

/**
 * Shared by the stores that keep rotad's bookkeeping in a record of their own (vault,
 * aws-secrets-manager): the non-secret facts of a credential, and the pure record changes that
 * both apply through their own compare-and-swap.
 */
export const CredentialFacts = z.object({
  rotationId: z.string(),
  createdAt: z.number(),
  id: z.string().optional(),
  expiresAt: z.number().optional(),
  revokedAt: z.number().optional(),
});

interface BookkeepingRecord {
  state: PolicyState;
  stateRevision: number;
  current?: { rotationId: string } | undefined;
  previous?: { revokedAt?: number | undefined } | undefined;
}

/** The change behind Store.writeState: replaces the state if the revision still matches. */
export function replaceState<R extends BookkeepingRecord>(policy: string, state: PolicyState, expectedRevision: string): (record: R) => R {
  return (record) => {
    if (String(record.stateRevision) !== expectedRevision) {
      throw new StoreConflictError(`state of policy ${policy} changed since it was read (revision ${record.stateRevision}, expected ${expectedRevision})`);
    }
    return { ...record, state, stateRevision: record.stateRevision + 1 };
  };
}

/** The change behind Store.markPreviousRevoked; undefined when there is nothing to record. */
export function previousRevoked<R extends BookkeepingRecord>(rotationId: string, at: number): (record: R) => R | undefined {
  return (record) =>
    record.current?.rotationId === rotationId && record.previous && record.previous.revokedAt === undefined
      ? { ...record, previous: { ...record.previous, revokedAt: at } }
      : undefined;
}
