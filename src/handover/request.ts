import { RotadError } from '../errors.js';
import type { HandoverLink } from '../policy-state.js';
import { refuse } from '../providers/submission.js';
import type { PolicySnapshot as Snapshot } from '../stores/types.js';
import { secretMatches } from '../rotation/handover-link.js';

/** The rotation whose request for a token is open, or a refusal that says what is going on. */
export function openRequest(policy: { name: string }, snapshot: Snapshot): string {
  const { state } = snapshot;
  const rotationId = state.rotationId;
  if (rotationId !== undefined && snapshot.pending?.rotationId === rotationId)
    throw refuse(`a token for rotation ${rotationId} was already handed over; follow it with rotad status`);
  if (state.phase !== 'obtain' || state.assist?.action !== 'create' || state.retire !== undefined || rotationId === undefined) {
    throw refuse(`no token is being asked for policy ${policy.name} (phase ${state.phase}); rotad rotate ${policy.name} starts a rotation`);
  }
  return rotationId;
}

const invalidLink = (why: string): RotadError => new RotadError('HANDOVER_LINK_INVALID', why);

/** What every link that is not open answers, whether its policy exists or not: nothing to tell them apart by. */
export const NOT_OPEN =
  'this link is not valid (any more): the token was handed over already, the request it belongs to has ended or was replaced, or the link was not opened exactly as it was sent (including the part after #). Use the link of the latest message';

/**
 * The open request's link with this id, if rotad still honours it: not used (no token staged yet),
 * not locked, not expired. A link of an earlier or ended request reads as no longer valid.
 */
function openLink(policy: { name: string }, snapshot: Snapshot, id: string, now: number): HandoverLink {
  const { state } = snapshot;
  const link = state.assist?.action === 'create' && state.retire === undefined ? state.assist.links.find((l) => l.id === id) : undefined;
  if (link === undefined) throw invalidLink(NOT_OPEN);
  if (snapshot.pending !== undefined && snapshot.pending.rotationId === state.rotationId)
    throw invalidLink('this link was used: a token was handed over and rotad is working with it (see rotad status)');
  if (link.locked)
    throw invalidLink(
      `this link was locked after ${link.refused} refused tokens; the next reminder brings a new link, or hand the token over with rotad submit ${policy.name}`,
    );
  if (now >= link.expiresAt)
    throw invalidLink(`this link expired at ${new Date(link.expiresAt).toISOString()}; use the link of the latest reminder, or rotad submit ${policy.name}`);
  return link;
}

/**
 * The link a person used, if the secret from its fragment is its own (compared in constant time)
 * and it is open. The secret is checked first: without it, a link says nothing about its request.
 */
export function honouredLink(policy: { name: string }, snapshot: Snapshot, use: { id: string; secret: string }, now: number): HandoverLink {
  const { state } = snapshot;
  const known = state.assist?.links.find((l) => l.id === use.id);
  if (known === undefined || !secretMatches(known, use.secret)) throw invalidLink(NOT_OPEN);
  return openLink(policy, snapshot, use.id, now);
}
