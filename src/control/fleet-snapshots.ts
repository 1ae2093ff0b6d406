import type { PolicySnapshot } from '../stores/types.js';

/**
 * The latest read of each policy this daemon made (the scheduler's looks, the dashboard's own
 * reads): the dashboard's counts, filters and sorting need every policy, and reading a fleet of
 * 10,000 from the store for each page would take seconds. A read older than one already noted
 * (a lower state revision) is ignored. The rows a page shows are read again before it is drawn.
 */
export class FleetSnapshots {
  readonly #latest = new Map<string, PolicySnapshot>();

  note(policy: string, snapshot: PolicySnapshot): void {
    const known = this.#latest.get(policy);
    if (known !== undefined && Number(snapshot.revision) < Number(known.revision)) return;
    this.#latest.set(policy, snapshot);
  }

  get(policy: string): PolicySnapshot | undefined {
    return this.#latest.get(policy);
  }
}
