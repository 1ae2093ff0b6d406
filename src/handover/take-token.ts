import { RotadError, StoreConflictError } from '../errors.js';
import { silentLogger } from '../observability/logger.js';
import type { PolicyState } from '../policy-state.js';
import { refuse } from '../providers/submission.js';
import { providerContext } from '../rotation/call-context.js';
import type { PolicyRuntime } from '../rotation/context.js';
import { leaseOfOther, newLeaseOwner, Ownership } from '../rotation/lease.js';
import { withRetry, type RetryPolicy } from '../rotation/retry.js';
import type { Secret } from '../secret.js';
import { recordRetryDelay } from '../stores/state-record.js';
import type { PolicySnapshot } from '../stores/types.js';
import { acceptToken, isRefusal } from '../rotation/accept-token.js';
import { honouredLink, openRequest } from './request.js';
import { handedOverBy } from '../history-trail.js';

/** The link a token came through (the hand-over page), with the secret from its fragment. */
interface LinkUse {
  id: string;
  secret: string;
  /** Refused tokens a link takes before it is locked. */
  maxTries: number;
}

type HandOverOutcome = (
  | { accepted: true; rotationId: string }
  /** Refused: the reason, and for a link how many tries are left (0: it is now locked). */
  | { accepted: false; rotationId: string; reason: string; triesLeft?: number | undefined }
) & {
  /** The reason of the incident the rotation serves, for the audit trail. */
  incident?: string | undefined;
};

/**
 * Tries to claim the request while the daemon looks at it or another token is being checked:
 * about 15 s in all, longer than a provider check with its retries usually takes.
 */
const CLAIM_ATTEMPTS = 10;

/**
 * Is `value` a token rotad took already (a second click, a retry after a lost answer, the same
 * token through the page and `rotad submit`)? Pending or current, for whatever rotation: taken.
 * Previous: taken once and since replaced, so it is neither taken again nor to be deleted by hand
 * before rotad asks for it (its readers may still use it).
 */
function alreadyTaken(snapshot: PolicySnapshot, value: Secret): Claim | undefined {
  const token = value.reveal();
  for (const credential of [snapshot.pending, snapshot.current]) {
    if (credential !== undefined && credential.value.reveal() === token) return { taken: credential.rotationId };
  }
  const { previous } = snapshot;
  if (previous !== undefined && previous.revokedAt === undefined && previous.value.reveal() === token) {
    return {
      replaced: previous.rotationId,
      reason: `this token was handed over for rotation ${previous.rotationId} and has been replaced since; do not delete it before rotad asks for that (its readers may still use it), and create a new token for this request`,
    };
  }
  return undefined;
}

type Claim =
  { taken: string } | { replaced: string; reason: string } | { ownership: Ownership; snapshot: PolicySnapshot; rotationId: string; triesUsed: number };

/**
 * Claims the open request for one token: the checks (request open, link open and its own secret,
 * tries left) and the claim are one compare-and-swap on the same read, which also takes the
 * policy's lease. While it is held, the daemon does not move the rotation on and no other token
 * is checked, so a link is used at most once and its tries are counted exactly. A claim held by
 * someone else (the daemon's look, another token) is waited for, a few seconds at most.
 */
async function claim(policy: PolicyRuntime, value: Secret, use: LinkUse | undefined): Promise<Claim> {
  const { store, ref, clock } = policy;
  const owner = newLeaseOwner('handover', policy.random);
  for (let attempt = 1; ; attempt += 1) {
    const snapshot = await store.read(ref);
    const known = alreadyTaken(snapshot, value);
    if (known !== undefined) return known;
    const link = use && honouredLink(policy, snapshot, use, clock.now());
    const rotationId = openRequest(policy, snapshot);
    const held = leaseOfOther(snapshot.state, owner, clock.now());
    if (held === undefined) {
      const ownership = new Ownership({ store, ref, clock, owner, leaseMs: policy.leaseMs }, snapshot.state, snapshot.revision);
      try {
        await ownership.write((s) => s);
        return { ownership, snapshot, rotationId, triesUsed: link?.refused ?? 0 };
      } catch (error) {
        if (!(error instanceof StoreConflictError)) throw error;
      }
    }
    if (attempt >= CLAIM_ATTEMPTS) {
      throw new RotadError(
        'ROTATION_IN_PROGRESS',
        `another token is being checked for policy ${policy.name}, or rotad is working on it right now; try again in a minute (rotad status ${policy.name} shows where it stands)`,
      );
    }
    await clock.sleep(recordRetryDelay(attempt, policy.random));
  }
}

/**
 * A token turned away before the provider was asked (the link used, locked or not open, no request
 * open, another token being checked): the person may have created it for this request, and
 * nobody else will ever ask for it, so the answer says to delete it.
 */
function notTaken(error: unknown): unknown {
  if (!(error instanceof RotadError) || !['HANDOVER_LINK_INVALID', 'SUBMISSION_REFUSED', 'ROTATION_IN_PROGRESS'].includes(error.code)) return error;
  return new RotadError(
    error.code,
    `${error.message}. The token you handed over was not taken here: if you created it for this request and did not hand it over another way (rotad submit, another link), delete it at the provider; rotad status shows whether a token was taken`,
    { cause: error },
  );
}

/** The refusal recorded (for rotad status) and counted against the link, locking it at its last try. */
function withRefusal(state: PolicyState, reason: string, use: LinkUse | undefined): PolicyState {
  if (state.assist?.action !== 'create') return state;
  const links = state.assist.links.map((l) => (l.id === use?.id ? { ...l, refused: l.refused + 1, locked: l.refused + 1 >= use.maxTries } : l));
  return { ...state, assist: { ...state.assist, refusal: reason, links } };
}

/**
 * A person hands over the token an assisted rotation asked for (the hand-over page, `rotad submit`,
 * the control API): the request is claimed (see `claim`), the token checked with the provider,
 * staged as pending under the rotation's id, and the request closed with the policy marked for
 * the daemon to carry on, all under the claim. A refusal is recorded with its reason under the
 * claim too, and the request stays open. Handing over the token already taken answers accepted
 * again. `by` (`handover-link`, `cli`, `api:<token name>`) goes into the rotation's history. The caller wakes the daemon.
 */
export async function handOver(policy: PolicyRuntime, value: Secret, retry: RetryPolicy, by: string, use?: LinkUse): Promise<HandOverOutcome> {
  const { provider, store, ref, clock } = policy;
  if (!provider.assisted) throw refuse(`policy ${policy.name} does not take tokens from a person: its provider creates them itself`);
  const claimed = await claim(policy, value, use).catch((error: unknown) => {
    throw notTaken(error);
  });
  if ('taken' in claimed) return { accepted: true, rotationId: claimed.taken };
  if ('replaced' in claimed) return { accepted: false, rotationId: claimed.replaced, reason: claimed.reason };
  const { ownership, snapshot, rotationId, triesUsed } = claimed;
  const release = (change: (s: PolicyState) => PolicyState = (s) => s): Promise<unknown> => ownership.write(change, true);
  const ctx = providerContext(policy, rotationId, ownership.lost, silentLogger());
  const bounded = { ...retry, attempts: Math.min(3, retry.attempts), maxDelayMs: Math.min(10_000, retry.maxDelayMs) };
  let fresh;
  try {
    fresh = await withRetry(() => acceptToken(provider, ctx, value, snapshot.current), bounded, { clock, signal: ctx.signal, random: policy.random });
  } catch (error) {
    if (!isRefusal(error)) {
      await release().catch(() => undefined);
      throw error;
    }
    await release((s) => withRefusal(s, error.message, use));
    const triesLeft = use ? Math.max(0, use.maxTries - triesUsed - 1) : undefined;
    return { accepted: false, rotationId, reason: error.message, triesLeft, incident: snapshot.state.incident?.reason };
  }
  const credential = { ...fresh, rotationId, createdAt: clock.now() };
  try {
    await ownership.ensureHeld();
    await store.stagePending(ref, credential);
  } catch (error) {
    await release().catch(() => undefined);
    throw new RotadError(
      'STORE_UNREACHABLE',
      `the token was checked but could not be stored; hand the same token over again (it is still the one asked for), and do not delete it`,
      { cause: error, retryable: true },
    );
  }
  // Staged under the claim: from here on every link of the request reads as used, and the daemon carries on.
  await release((s) => ({ ...s, requestedAt: clock.now(), assist: s.assist && { ...s.assist, refusal: undefined }, trail: handedOverBy(s.trail, by) })).catch(
    () => undefined,
  );
  return { accepted: true, rotationId, incident: snapshot.state.incident?.reason };
}
