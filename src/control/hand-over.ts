import { providerContext } from '../rotation/call-context.js';
import { RotadError } from '../errors.js';
import { secretMatches } from '../handover/link.js';
import { silentLogger } from '../observability/logger.js';
import { refuse } from '../providers/submission.js';
import type { PolicyRuntime } from '../rotation/context.js';
import { withRetry, type RetryPolicy } from '../rotation/retry.js';
import type { HandoverLink, PolicyState } from '../policy-state.js';
import type { Secret } from '../secret.js';
import type { PolicySnapshot as Snapshot } from '../stores/types.js';
import { recordRequest, updateState } from './update-state.js';

/** The link a token came through (the hand-over page), with the secret from its fragment. */
interface LinkUse {
  id: string;
  secret: string;
  /** Refused tokens a link takes before it is locked. */
  maxTries: number;
}

type HandOverOutcome =
  | { accepted: true; rotationId: string }
  /** Refused: the reason, and for a link how many tries are left (0: it is now locked). */
  | { accepted: false; rotationId: string; reason: string; triesLeft?: number | undefined };

/** The rotation whose request for a token is open, or a refusal that says what is going on. */
export function openRequest(policy: PolicyRuntime, snapshot: Snapshot): string {
  const { state } = snapshot;
  const rotationId = state.rotationId;
  if (rotationId !== undefined && snapshot.pending?.rotationId === rotationId)
    throw refuse(`a token for rotation ${rotationId} was already handed over; follow it with rotad status`);
  if (state.phase !== 'obtain' || state.assist?.action !== 'create' || rotationId === undefined) {
    throw refuse(`no token is being asked for policy ${policy.name} (phase ${state.phase}); rotad rotate ${policy.name} starts a rotation`);
  }
  return rotationId;
}

const invalidLink = (why: string): RotadError => new RotadError('HANDOVER_LINK_INVALID', why);

/**
 * The open request's link with this id, if rotad still honours it: not used (no token staged yet),
 * not locked, not expired. A link of an earlier or ended request reads as no longer valid.
 */
export function openLink(policy: PolicyRuntime, snapshot: Snapshot, id: string, now: number): HandoverLink {
  const { state } = snapshot;
  const link = state.assist?.action === 'create' ? state.assist.links.find((l) => l.id === id) : undefined;
  if (link === undefined)
    throw invalidLink(
      'this link is no longer valid: the token was handed over already, or the request it belongs to has ended or was replaced. Use the link of the latest message',
    );
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

/** The link a person used, if it is open and the secret from its fragment is its own (compared in constant time). */
export function honouredLink(policy: PolicyRuntime, snapshot: Snapshot, use: LinkUse, now: number): HandoverLink {
  const link = openLink(policy, snapshot, use.id, now);
  if (!secretMatches(link, use.secret)) throw invalidLink('this link is not valid: open it exactly as it was sent, including the part after #');
  return link;
}

/** Records a refusal in the state (for rotad status) and counts it against the link, locking it at its last try. */
function recordRefusal(state: PolicyState, rotationId: string, reason: string, use: LinkUse | undefined): PolicyState | undefined {
  if (state.rotationId !== rotationId || state.assist?.action !== 'create') return undefined;
  const links = state.assist.links.map((l) => (l.id === use?.id ? { ...l, refused: l.refused + 1, locked: l.refused + 1 >= use.maxTries } : l));
  return { ...state, assist: { ...state.assist, refusal: reason, links } };
}

/**
 * A person hands over the token an assisted rotation asked for (`rotad submit`, the hand-over page,
 * the control API): it is checked like the daemon checks one from the store's hand-over slot
 * (shape, then an authenticated call to the provider), staged as pending under the rotation's id,
 * and the request is recorded so that the daemon carries on. A refusal is recorded with its reason
 * and the request stays open. The caller wakes the daemon.
 */
export async function handOver(policy: PolicyRuntime, value: Secret, retry: RetryPolicy, use?: LinkUse): Promise<HandOverOutcome> {
  const { provider, store, ref, clock } = policy;
  if (!provider.assisted) throw refuse(`policy ${policy.name} does not take tokens from a person: its provider creates them itself`);
  const snapshot = await store.read(ref);
  const link = use && honouredLink(policy, snapshot, use, clock.now());
  const rotationId = openRequest(policy, snapshot);
  const ctx = providerContext(policy, rotationId, new AbortController().signal, silentLogger());
  const bounded = { ...retry, attempts: Math.min(3, retry.attempts), maxDelayMs: Math.min(10_000, retry.maxDelayMs) };
  let fresh;
  try {
    fresh = await withRetry(() => provider.assisted!.accept(ctx, value, snapshot.current), bounded, { clock, signal: ctx.signal });
  } catch (error) {
    if (!(error instanceof RotadError) || error.code !== 'SUBMISSION_REFUSED') throw error;
    // The daemon rewrites this state at each look, so the refusal is merged in with retries, not dropped on a lost race.
    await updateState(policy, (now) => recordRefusal(now, rotationId, error.message, use));
    const triesLeft = link && use ? Math.max(0, use.maxTries - link.refused - 1) : undefined;
    return { accepted: false, rotationId, reason: error.message, triesLeft };
  }
  const now = clock.now();
  await store.stagePending(ref, { ...fresh, rotationId, createdAt: now });
  await recordRequest(policy, now);
  return { accepted: true, rotationId };
}
