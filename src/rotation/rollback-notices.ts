import type { PolicySnapshot } from '../stores/types.js';
import { updateState, writeOnSnapshot } from '../stores/state-writes.js';
import type { PolicyRuntime } from './context.js';
import { leaseOfOther } from './lease.js';
import { rotationAlertKey } from '../history-trail.js';

type Notice = PolicySnapshot['state']['outbox'][number];

/** The log line of each notice a one-shot command left for the daemon. */
const NOTICE_LOG: Record<Notice['type'], string> = {
  'rotation-aborted': 'Rotation abandoned by rollback',
  'rotation-rolled-back': 'Rotation rolled back',
  'request-withdrawn': 'Request to a person withdrawn by rollback',
};

/** Tries to remove the notices sent; past them, the claim runs out and they are sent again. */
const REMOVE_ATTEMPTS = 3;

/**
 * Reports what a one-shot command did (`rotad rollback`) through the daemon's notifiers, audit
 * trail and log. The outbox is claimed first (a compare-and-swap), so one replica delivers it;
 * the notices are removed once sent. A replica that dies, or whose write's answer is lost, leaves
 * the claim to run out and the notices to be sent again: a notice that withdraws a request must
 * reach people even twice rather than never. Returns the snapshot as it now stands.
 */
export async function deliverRollbackNotices(policy: PolicyRuntime, snapshot: PolicySnapshot, now: number): Promise<PolicySnapshot> {
  const notices = snapshot.state.outbox;
  if (notices.length === 0) return snapshot;
  const claim = snapshot.state.outboxClaim;
  if (claim !== undefined && claim.owner !== policy.owner && claim.until > now) return snapshot;
  const claimed = await writeOnSnapshot(policy, snapshot, { ...snapshot.state, outboxClaim: { owner: policy.owner, until: now + policy.leaseMs } });
  // Another replica took them, or the next look does.
  if (!claimed) return snapshot;
  for (const notice of notices) {
    policy.logger.info({ rotation: notice.rotationId, actor: notice.actor, at: new Date(notice.at).toISOString() }, NOTICE_LOG[notice.type]);
    if (notice.type !== 'request-withdrawn')
      policy.audit?.record({
        rotationId: notice.rotationId,
        policy: policy.name,
        phase: 'rollback',
        outcome: notice.type === 'rotation-aborted' ? 'aborted' : 'rolled-back',
        actor: notice.actor,
      });
    // A rollback ends the rotation: whatever it had raised for a person is over.
    const ends = notice.type === 'request-withdrawn' ? [] : [rotationAlertKey(notice.rotationId)];
    await policy.notify({ type: notice.type, rotationId: notice.rotationId, message: notice.message, ...(ends.length > 0 && { resolvesAlerts: ends }) });
  }
  return removeDelivered(policy, claimed, notices, now);
}

/** Removes the notices sent from the outbox (others may have been added meanwhile) and releases the claim. */
async function removeDelivered(policy: PolicyRuntime, claimed: PolicySnapshot, sent: readonly Notice[], now: number): Promise<PolicySnapshot> {
  const isSent = (n: Notice): boolean => sent.some((s) => s.at === n.at && s.type === n.type && s.rotationId === n.rotationId);
  // Not removed (lost races, a failed write): the claim runs out and they are sent again.
  return updateState(
    policy,
    // A rotation that started meanwhile owns the state: the claim runs out instead.
    (snapshot) =>
      snapshot !== claimed && leaseOfOther(snapshot.state, policy.owner, now)
        ? undefined
        : { ...snapshot.state, outbox: snapshot.state.outbox.filter((n) => !isSent(n)), outboxClaim: undefined },
    { attempts: REMOVE_ATTEMPTS, from: claimed, onFailedWrite: 'give-up' },
  );
}
