import { z } from 'zod';
import { StoreConflictError } from '../errors.js';
import type { PolicyState } from '../policy-state.js';

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

/** Attempts of one record read-modify-write when other writers keep winning the compare-and-swap. */
export const RECORD_WRITE_ATTEMPTS = 8;

/**
 * The pause before attempt `attempt` + 1 of a record write that lost its compare-and-swap: short,
 * growing and jittered, so that writers racing for one record (replicas, a CLI command) spread out
 * instead of colliding again in lock-step.
 */
export function recordRetryDelay(attempt: number, random: () => number = Math.random): number {
  return Math.round(10 * 2 ** Math.min(attempt, 6) * (0.5 + random()));
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
