import { mapLimited } from '../map-limited.js';
import type { Selector } from '../labels.js';
import type { PolicyRuntime } from '../rotation/context.js';
import type { PolicySnapshot } from '../stores/types.js';
import type { Runtime } from '../wiring/runtime.js';
import type { FleetSnapshots } from './fleet-snapshots.js';
import { selectPolicies } from './select.js';
import { policyStatuses, statusRow, unreadableRow, type PolicyStatus } from './status.js';

/** What a person sees first about a policy: one word, for the counts and the filter. */
export const FLEET_STATES = ['ok', 'rotating', 'waiting', 'attention', 'overdue', 'suspended', 'unknown'] as const;
export type FleetState = (typeof FLEET_STATES)[number];

/** A rotation due this long ago and not started is overdue (the scheduler starts one within seconds when it can). */
const OVERDUE_AFTER_MS = 5 * 60_000;

export function fleetStateOf(row: PolicyStatus, now: number): FleetState {
  if (row.error !== undefined) return 'unknown';
  if (row.suspended) return 'suspended';
  if (row.needsAttention) return 'attention';
  if (row.waitingFor) return 'waiting';
  if (row.phase !== 'idle') return 'rotating';
  if (row.nextRotationAt !== undefined && Date.parse(row.nextRotationAt) < now - OVERDUE_AFTER_MS) return 'overdue';
  return 'ok';
}

export const FLEET_SORTS = ['policy', 'state', 'age', 'last', 'next'] as const;
export type FleetSort = (typeof FLEET_SORTS)[number];

export interface FleetQuery {
  selector?: Selector | undefined;
  state?: FleetState | undefined;
  /** Part of a policy name. */
  name?: string | undefined;
  sort: FleetSort;
  descending: boolean;
  /** 1-based. */
  page: number;
}

export interface FleetPage {
  /** Every policy of the config, by state (filters do not change them). */
  counts: Record<FleetState, number> & { total: number };
  /** The rows of this page, each read from its store just now. */
  rows: Array<PolicyStatus & { state: FleetState }>;
  /** Policies that match the filters, and the pages they fill. */
  matching: number;
  page: number;
  pages: number;
}

export const FLEET_PAGE_SIZE = 50;
/** Policies the daemon has not read yet are read this many at once. */
const READS_AT_ONCE = 16;

const sortKey: Record<FleetSort, (row: PolicyStatus, state: FleetState) => string | number> = {
  policy: (row) => row.policy,
  state: (_row, state) => FLEET_STATES.indexOf(state),
  age: (row) => row.credentialAgeMs ?? -1,
  last: (row) => (row.lastRotatedAt === undefined ? 0 : Date.parse(row.lastRotatedAt)),
  next: (row) => (row.nextRotationAt === undefined ? Infinity : Date.parse(row.nextRotationAt)),
};

/** Each policy as the daemon last read it (a policy never read is read now), or why it cannot be read. */
export async function latestReads(
  runtime: Runtime,
  snapshots: FleetSnapshots | undefined,
): Promise<Array<{ policy: PolicyRuntime; snapshot?: PolicySnapshot | undefined; error?: unknown }>> {
  const policies = [...runtime.policies.values()];
  const unread = policies.filter((p) => snapshots?.get(p.name) === undefined);
  const fresh = new Map<string, { snapshot?: PolicySnapshot; error?: unknown }>();
  await mapLimited(unread, READS_AT_ONCE, async (policy) => {
    try {
      const snapshot = await policy.store.read(policy.ref);
      snapshots?.note(policy.name, snapshot);
      fresh.set(policy.name, { snapshot });
    } catch (error) {
      fresh.set(policy.name, { error });
    }
  });
  return policies.map((policy) => ({ policy, ...(fresh.get(policy.name) ?? { snapshot: snapshots!.get(policy.name)! }) }));
}

/**
 * One page of the fleet for the dashboard: counts, filters and order from the latest read of every
 * policy (`snapshots`), then the page's rows read again, so what a person sees of a policy is never
 * older than the page.
 */
export async function fleetPage(runtime: Runtime, snapshots: FleetSnapshots | undefined, query: FleetQuery, now: number): Promise<FleetPage> {
  const all = (await latestReads(runtime, snapshots)).map(({ policy, snapshot, error }) => {
    const row = snapshot ? statusRow(policy, snapshot, now) : unreadableRow(policy.name, error);
    return { row, state: fleetStateOf(row, now) };
  });
  const counts = { total: all.length, ...Object.fromEntries(FLEET_STATES.map((s) => [s, 0])) } as FleetPage['counts'];
  for (const { state } of all) counts[state] += 1;

  const labelled = query.selector ? new Set(selectPolicies(runtime.policies, { selector: query.selector }).map((p) => p.name)) : undefined;
  const matching = all.filter(
    ({ row, state }) =>
      (labelled === undefined || labelled.has(row.policy)) &&
      (query.state === undefined || state === query.state) &&
      (query.name === undefined || row.policy.includes(query.name)),
  );
  const key = sortKey[query.sort];
  const direction = query.descending ? -1 : 1;
  matching.sort((a, b) => {
    const ka = key(a.row, a.state);
    const kb = key(b.row, b.state);
    return (ka < kb ? -1 : ka > kb ? 1 : a.row.policy.localeCompare(b.row.policy)) * direction;
  });
  const pages = Math.max(1, Math.ceil(matching.length / FLEET_PAGE_SIZE));
  const page = Math.min(Math.max(1, query.page), pages);
  const shown = matching.slice((page - 1) * FLEET_PAGE_SIZE, page * FLEET_PAGE_SIZE).map(({ row }) => row.policy);
  const reread = await policyStatuses(runtime, shown, now, (name, snapshot) => snapshots?.note(name, snapshot));
  const byName = new Map(reread.map((row) => [row.policy, row]));
  const rows = shown.map((name) => {
    const row = byName.get(name)!;
    return { ...row, state: fleetStateOf(row, now) };
  });
  return { counts, rows, matching: matching.length, page, pages };
}
