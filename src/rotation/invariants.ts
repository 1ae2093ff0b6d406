import { RotadError } from '../errors.js';
import type { Phase, PolicyState } from '../policy-state.js';

/**
 * Assertions on the protocol's own invariants (docs/design.md, "Invariants"), checked where the
 * engine is about to act, in pairs: what one step establishes, the step that relies on it checks
 * again. A broken one is a bug in rotad, never a fault of a store, a provider or a person: the
 * rotation stops in needs-attention with code INTERNAL before its next side effect, and the
 * simulations fail at the event that broke it, not three events later.
 */
export function protocolInvariant(holds: boolean, what: string): asserts holds {
  if (!holds) throw new RotadError('INTERNAL', `protocol invariant broken: ${what} (a bug in rotad; the rotation stopped before its next step)`);
}

/** What may follow each step: the protocol's order, and the detours of retiring a credential (retire.ts, restore.ts). */
const NEXT_PHASES: Readonly<Record<Phase, readonly PolicyState['phase'][]>> = {
  obtain: ['verify', 'revoke'],
  verify: ['promote'],
  promote: ['consumers'],
  consumers: ['grace'],
  grace: ['revoke', 'idle'],
  revoke: ['complete', 'consumers', 'obtain', 'idle'],
  complete: ['idle'],
};

export function assertPhaseOrder(from: Phase, to: PolicyState['phase'] | undefined): void {
  protocolInvariant(to !== undefined && NEXT_PHASES[from].includes(to), `step ${from} may not be followed by ${to ?? 'no phase'}`);
}

/** Every consumer of the policy confirmed the credential of this rotation. */
export function allConsumersConfirmed(consumers: ReadonlyArray<{ key: string }>, confirmed: readonly string[]): boolean {
  return consumers.every(({ key }) => confirmed.includes(key));
}
