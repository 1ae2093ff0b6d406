import { filed } from '../../src/stores/history-record.js';
import type { HistoryEntry } from '../../src/policy-state.js';
import { RotadError, StoreConflictError } from '../../src/errors.js';
import { IDLE_STATE, type PolicyState } from '../../src/policy-state.js';
import type { PolicyRef, PolicySnapshot, Store, StoredCredential } from '../../src/stores/types.js';
import { EMPTY_ROSTER, type Roster } from '../../src/stores/roster-record.js';

/** The replica roster of each store (by its entries map: handles on one map share it). */
const rosters = new WeakMap<Map<string, Entry>, { roster: Roster }>();

export interface Entry {
  current?: StoredCredential | undefined;
  previous?: StoredCredential | undefined;
  pending?: StoredCredential | undefined;
  state: PolicyState;
  revision: number;
  /** Ended rotations filed beside the state (Store.fileHistory). */
  history?: HistoryEntry[];
}

/**
 * The simulation's store: the file store's semantics (compare-and-swap on the state record only,
 * staging strict per rotation id and value, promote/rollback/revoked marks idempotent), in memory.
 * Every method does its work synchronously when called, so the world can make a call land at one
 * instant. It runs through the same contract suite as the real stores (test/stores).
 */
export class MemoryStore implements Store {
  /** Handles made with the same map see one store (as two processes see one server). */
  constructor(readonly entries = new Map<string, Entry>()) {}

  /** Set while the store is "down": every call fails as an unreachable store would. */
  down = false;
  /** Set to refuse every call as a store without the rights would. */
  denied = false;
  /** Called after every successful state write, for the simulation's checks. */
  onStateWrite?: (policy: string, before: PolicyState, after: PolicyState) => void;

  entry(name: string): Entry {
    let entry = this.entries.get(name);
    if (!entry) {
      entry = { state: IDLE_STATE, revision: 0 };
      this.entries.set(name, entry);
    }
    return entry;
  }

  #gate(): void {
    if (this.down) throw new RotadError('STORE_UNREACHABLE', 'memory store is down', { retryable: true });
    if (this.denied) throw new RotadError('STORE_ACCESS_DENIED', 'memory store refuses this caller');
  }

  async read(ref: PolicyRef): Promise<PolicySnapshot> {
    this.#gate();
    const e = this.entry(ref.name);
    return { current: e.current, previous: e.previous, pending: e.pending, state: e.state, revision: String(e.revision) };
  }

  async writeState(ref: PolicyRef, state: PolicyState, expectedRevision: string): Promise<string> {
    this.#gate();
    const e = this.entry(ref.name);
    if (String(e.revision) !== expectedRevision)
      throw new StoreConflictError(`state of policy ${ref.name} changed (revision ${e.revision}, expected ${expectedRevision})`);
    const before = e.state;
    e.state = structuredClone(state);
    e.revision += 1;
    this.onStateWrite?.(ref.name, before, e.state);
    return String(e.revision);
  }

  async stagePending(ref: PolicyRef, credential: StoredCredential): Promise<void> {
    this.#gate();
    const e = this.entry(ref.name);
    if (e.pending?.rotationId === credential.rotationId && e.pending.value.reveal() === credential.value.reveal()) return;
    if (e.pending) throw new StoreConflictError(`policy ${ref.name} already has a pending credential from rotation ${e.pending.rotationId}`);
    e.pending = credential;
  }

  async discardPending(ref: PolicyRef, rotationId: string): Promise<void> {
    this.#gate();
    const e = this.entry(ref.name);
    if (e.pending?.rotationId === rotationId) e.pending = undefined;
  }

  async promote(ref: PolicyRef, rotationId: string): Promise<void> {
    this.#gate();
    const e = this.entry(ref.name);
    if (e.current?.rotationId === rotationId) return;
    if (e.pending?.rotationId !== rotationId)
      throw new RotadError('STORE_RECORD_LOST', `policy ${ref.name} has no pending credential for rotation ${rotationId}`);
    [e.previous, e.current, e.pending] = [e.current, e.pending, undefined];
  }

  async rollback(ref: PolicyRef): Promise<void> {
    this.#gate();
    const e = this.entry(ref.name);
    if (!e.previous) throw new RotadError('ROLLBACK_UNSAFE', `policy ${ref.name} has no previous credential`);
    [e.current, e.previous] = [e.previous, e.current];
  }

  async markPreviousRevoked(ref: PolicyRef, rotationId: string, at: number): Promise<void> {
    this.#gate();
    const e = this.entry(ref.name);
    if (e.current?.rotationId === rotationId && e.previous && e.previous.revokedAt === undefined) e.previous = { ...e.previous, revokedAt: at };
  }

  async readHistory(ref: PolicyRef): Promise<HistoryEntry[]> {
    this.#gate();
    return structuredClone(this.entries.get(ref.name)?.history ?? []);
  }

  async fileHistory(ref: PolicyRef, entries: readonly HistoryEntry[], keep: number): Promise<void> {
    this.#gate();
    const entry = this.entry(ref.name);
    const next = filed(entries, keep)({ entries: entry.history ?? [] });
    if (next) entry.history = structuredClone(next.entries);
  }

  async readRoster(): Promise<Roster> {
    this.#gate();
    return structuredClone(this.#roster().roster);
  }

  /** Applied at the instant of the call: no other writer can come between its read and its write. */
  async updateRoster(change: (roster: Roster) => Roster | undefined): Promise<Roster> {
    this.#gate();
    const holder = this.#roster();
    const next = change(structuredClone(holder.roster));
    if (next !== undefined) holder.roster = structuredClone(next);
    return structuredClone(holder.roster);
  }

  #roster(): { roster: Roster } {
    let holder = rosters.get(this.entries);
    if (!holder) {
      holder = { roster: EMPTY_ROSTER };
      rosters.set(this.entries, holder);
    }
    return holder;
  }

  async ping(): Promise<void> {
    this.#gate();
  }

  async close(): Promise<void> {}
}
