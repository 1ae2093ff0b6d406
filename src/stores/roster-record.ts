import { z } from 'zod';

/**
 * The daemon replicas that share a store (`daemon.sharding`), in one small record of that store:
 * each replica renews its own entry every heartbeat, and one replica asks the others for a pass
 * over their policies (after a request for many policies) by raising `wake.seq`.
 */
export const Roster = z.object({
  /** Lease holder name → until when it counts as alive (epoch ms), and since when it is in the roster. */
  members: z.record(z.string(), z.object({ until: z.number(), since: z.number() })),
  wake: z.object({ seq: z.int().min(0), at: z.number(), by: z.string() }).optional(),
});
export type Roster = z.infer<typeof Roster>;

export const EMPTY_ROSTER: Roster = { members: {} };

/**
 * Where a store keeps the roster: its state-record template with `_replicas` for the policy name,
 * which no policy can have (names start with a letter or digit), so that the access rule for
 * rotad's state covers it.
 */
export const rosterKeyOf = (stateTemplate: string): string => stateTemplate.replaceAll('{policy}', '_replicas');
