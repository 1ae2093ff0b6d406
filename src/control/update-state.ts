import type { PolicyRuntime } from '../rotation/context.js';
import type { Incident, PolicyState } from '../policy-state.js';
import type { PolicySnapshot } from '../stores/types.js';
import { backoffPause, updateState as updateStoredState } from '../stores/state-writes.js';

/** A running rotation writes its state about once per step; this many tries (about 10 s in all) get between its writes. */
const CLI_WRITE_ATTEMPTS = 12;
const CLI_TRANSIENT_ATTEMPTS = 4;

/**
 * Changes the policy's state from outside the engine (a CLI command, the control API) while the
 * daemon may be writing it too. A daemon working on the policy writes its state at every step, so
 * a lost race backs off and reads again; a store error that may pass is tried again a few times.
 * `change` returns undefined to leave the state as it is (e.g. the rotation it was meant for has moved on).
 */
async function updateState(policy: PolicyRuntime, change: (state: PolicyState, snapshot: PolicySnapshot) => PolicyState | undefined): Promise<PolicySnapshot> {
  return updateStoredState(policy, (snapshot) => change(snapshot.state, snapshot), {
    attempts: CLI_WRITE_ATTEMPTS,
    transientAttempts: CLI_TRANSIENT_ATTEMPTS,
    pause: backoffPause((ms) => policy.clock.sleep(ms), policy.random),
  });
}

/** Records a manual request in the policy's state, with who made it (`cli`, `api:<token name>`). */
export async function recordRequest(policy: PolicyRuntime, now: number, actor: string): Promise<void> {
  // A request written again (its first write landed but the answer was lost) after a rotation
  // started for it is served already: it does not ask for another one.
  // A request to go on also ends a "remind me later": the person's request is reminded on its usual pace again.
  await updateState(policy, (state) =>
    served(state, now)
      ? undefined
      : { ...state, requestedAt: now, requestedBy: actor, ...(state.assist?.remindAt !== undefined && { assist: { ...state.assist, remindAt: undefined } }) },
  );
}

/** Whether a rotation that a request started began at or after `at` (running now, or completed). */
function served(state: PolicyState, at: number): boolean {
  const requested = state.trigger === 'cli' || state.trigger === 'signal';
  const running = state.phase !== 'idle' && requested && (state.startedAt ?? -Infinity) >= at;
  return running || (state.lastRequestedStartAt ?? -Infinity) >= at;
}

/**
 * Records an incident request. Written again after its first write landed (the answer was lost), it
 * changes nothing; a second incident before the first was served joins its reason to the first.
 * A rotation past obtain when it arrives is finished, then followed by one more (the leaked value
 * may be the one it made); one that has stored no credential yet serves it.
 */
export async function recordIncident(policy: PolicyRuntime, incident: Omit<Incident, 'rotationId'>): Promise<PolicyState> {
  const written = await updateState(policy, (state, snapshot) => {
    const open = state.incident;
    if (open !== undefined && open.at >= incident.at) return undefined;
    const reason =
      open !== undefined && open.rotationId === undefined && open.reason !== incident.reason ? `${open.reason}; ${incident.reason}` : incident.reason;
    // A rotation that has stored no credential yet has made none anyone could have leaked: it serves
    // the incident itself. (Its persisted phase may lag behind: what the store holds decides.)
    const ownStored = [snapshot.pending, snapshot.current].some((c) => c !== undefined && c.rotationId === state.rotationId);
    const rotationId = state.phase === 'obtain' && !ownStored ? state.rotationId : undefined;
    return { ...state, requestedAt: incident.at, incident: { ...incident, reason: reason.slice(0, MAX_REASON), rotationId } };
  });
  return written.state;
}

/** Incident reasons are kept this long at most (they go into every message). */
const MAX_REASON = 500;

/**
 * "Remind me later" on an open request of rotation `rotationId`: its next reminder goes at
 * `until` instead of on the usual pace (the deadline and its escalation stay). Returns false when
 * that request is not open any more.
 */
export async function snoozeRequest(policy: PolicyRuntime, rotationId: string, until: number): Promise<boolean> {
  let open = false;
  await updateState(policy, (state) => {
    open = state.rotationId === rotationId && state.assist !== undefined && state.assist.asked;
    if (!open || state.assist === undefined) return undefined;
    return { ...state, assist: { ...state.assist, remindAt: until, nextLookAt: Math.min(state.assist.nextLookAt, until) } };
  });
  return open;
}
