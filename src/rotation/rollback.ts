import { consumerContext, providerContext } from './call-context.js';
import { describeError, RotadError, StoreConflictError } from '../errors.js';
import { recordRetryDelay } from '../stores/state-record.js';
import type { PolicySnapshot, StoredCredential } from '../stores/types.js';
import type { PolicyRuntime } from './context.js';
import { leaseOfOther, Ownership } from './lease.js';
import { appendHistory, ROTATION_ENDED, type HistoryEntry, type PolicyState } from '../policy-state.js';
import { historyEntry } from '../history-trail.js';
import { fileHistory } from './history-filing.js';
import { isoDay } from '../providers/submission.js';
import { newRotationId } from './rotation-id.js';

/** What rollback did; `message` is what the daemon will report through its notifiers. */
export type RollbackOutcome =
  { action: 'aborted'; rotationId: string; message: string } | { action: 'rolled-back'; restoredRotationId: string; message: string };

/** Tries to take the policy while a daemon keeps writing its state (a rotation waiting for a person looks every few seconds). */
const TAKE_ATTEMPTS = 8;

/**
 * How long a lease held by someone else is waited for before the rollback is refused: a daemon's
 * look at a waiting rotation (is the old token gone yet?) holds the policy for a moment, and a
 * person who runs `rotad rollback` just then should not be turned away.
 */
const HELD_LEASE_WAIT_MS = 5_000;

/**
 * Reads the policy and takes it (compare-and-swap plus lease), so a daemon that starts a rotation
 * meanwhile wins or loses cleanly. A daemon that wrote the state between the read and the take
 * (without holding it) is read again, a few times, rather than reported: nothing was done yet.
 * A lease held by another is waited for up to HELD_LEASE_WAIT_MS, then reported.
 */
async function takePolicy(runtime: PolicyRuntime): Promise<{ snapshot: PolicySnapshot; ownership: Ownership; now: number }> {
  const { store, name, ref, clock } = runtime;
  const waitUntil = clock.now() + HELD_LEASE_WAIT_MS;
  for (let attempt = 1, conflicts = 0; ; attempt += 1) {
    const snapshot = await store.read(ref);
    const { state } = snapshot;
    const now = clock.now();
    const held = leaseOfOther(state, runtime.owner, now);
    if (held) {
      if (now >= waitUntil) {
        throw new RotadError(
          'ROTATION_IN_PROGRESS',
          `policy ${name} is in phase ${state.phase} of rotation ${state.rotationId}, worked on by ${held.owner} (lease until ${new Date(held.until).toISOString()}); wait for it to finish or stop, then roll back`,
        );
      }
      await clock.sleep(Math.min(recordRetryDelay(attempt, runtime.random), waitUntil - now));
      continue;
    }
    const ownership = new Ownership({ store, ref, clock, owner: runtime.owner, leaseMs: runtime.leaseMs }, state, snapshot.revision);
    try {
      await ownership.write((s) => ({ ...s, attention: undefined }));
      return { snapshot, ownership, now };
    } catch (error) {
      conflicts += 1;
      if (!(error instanceof StoreConflictError) || conflicts >= TAKE_ATTEMPTS) throw error;
      await clock.sleep(recordRetryDelay(conflicts, runtime.random));
    }
  }
}

/** The runtime whose calls keep the rollback's lease (a consumer's long wait, a provider's second side effect). */
const holding = (runtime: PolicyRuntime, ownership: Ownership): PolicyRuntime => ({ ...runtime, holdLease: () => ownership.ensureHeld() });

/** Undelivered notices kept per policy (a daemon that never runs must not let the record grow). */
const OUTBOX_LIMIT = 10;

const BEFORE_PROMOTE = new Set(['obtain', 'verify']);

type Notice = PolicyState['outbox'][number];

/**
 * The notice that withdraws a request a person was sent, if one is open: it goes wherever requests
 * go, so nobody follows an instruction that no longer stands (a deletion asked before a rollback
 * would now delete the credential in use).
 */
function withdrawal(snapshot: PolicySnapshot, rotationId: string, at: number, actor: string): Notice[] {
  const { assist } = snapshot.state;
  if (assist === undefined || !assist.asked) return [];
  const message =
    assist.action === 'create'
      ? `the request to create a new token (rotation ${rotationId}) is withdrawn by a rollback: do not create one, and its hand-over links no longer work. If you created one already and did not hand it over, delete it at the provider`
      : `the request to delete the token created around ${isoDay(snapshot.previous?.createdAt ?? 0)} (rotation ${rotationId}) is withdrawn by a rollback: do NOT delete it, it is the credential in use again. If a new request follows, it names exactly which token to delete and which to keep`;
  return [{ type: 'request-withdrawn', rotationId, message, at, actor }];
}

/**
 * `rotad rollback`. Before promote it abandons the rotation (the undo of obtain/verify): the
 * pending credential is revoked by API where possible and discarded; where only a person can
 * delete it, the rotation stays open to retire it (ask for exactly that token, confirm it gone).
 * Otherwise it makes the previous credential current again and hands it to every consumer (the
 * undo of promote and consumers); the credential it abandons is then retired by the daemon after
 * the grace period, like an old one. Every open request to a person is withdrawn first. It refuses
 * while another holder's lease on the policy runs past a few seconds (a daemon works on it), when the previous
 * credential was revoked or the provider no longer accepts it, and while an earlier rollback's
 * credential is being retired. `actor` is who asked (`cli`, or `api:<token name>`), for the audit trail.
 */
export async function rollbackPolicy(runtime: PolicyRuntime, actor = 'cli'): Promise<RollbackOutcome> {
  const { snapshot, ownership, now } = await takePolicy(runtime);
  const { state } = snapshot;
  const refuse = async (message: string): Promise<never> => {
    await ownership.write((s) => s, true).catch(() => undefined);
    throw new RotadError('ROLLBACK_UNSAFE', message);
  };
  // The rollback and the notice of it are one write: the daemon delivers the notice (notifiers,
  // audit trail, its log), so it reaches the same places as every other event, once.
  const finish: Rollback['finish'] = async (patch, outcome, rotationId, message, release = true) => {
    const ended = await ownership.write(
      (s) => ({
        ...s,
        ...ROTATION_ENDED,
        // A person took the policy over: an incident it was serving or waiting for ends here (ask again if need be).
        incident: undefined,
        ...patch,
        history: appendHistory(s.history, historyEntry(s, { rotationId, outcome, at: now, endedBy: actor })),
        outbox: [
          ...s.outbox,
          ...withdrawal(snapshot, rotationId, now, actor),
          { type: outcome === 'aborted' ? ('rotation-aborted' as const) : ('rotation-rolled-back' as const), rotationId, message, at: now, actor },
        ].slice(-OUTBOX_LIMIT),
      }),
      release,
    );
    await fileHistory(runtime, ended);
    return ended;
  };
  const rollback: Rollback = { runtime, snapshot, ownership, now, refuse, finish, signal: new AbortController().signal };

  if (state.retire) {
    return refuse(
      `rotation ${state.rotationId} of policy ${runtime.name} was ${state.retire.reason === 'rolled-back' ? 'rolled back' : 'abandoned'} already; rotad is retiring the credential it left (phase ${state.phase}), and there is nothing to roll back. See rotad status ${runtime.name}`,
    );
  }
  // The phases before promote are recorded lazily: a store whose current credential is the
  // rotation's own was promoted already, whatever phase the state still shows.
  const promoted = state.rotationId !== undefined && snapshot.current?.rotationId === state.rotationId;
  if (state.phase !== 'idle' && BEFORE_PROMOTE.has(state.phase) && !promoted) return abandonBeforePromote(rollback);
  return restorePrevious(rollback);
}

/** One rollback in progress: the policy taken, what it was decided on, and how it refuses or records itself. */
interface Rollback {
  runtime: PolicyRuntime;
  snapshot: PolicySnapshot;
  ownership: Ownership;
  now: number;
  signal: AbortSignal;
  /** Gives the policy back and refuses with ROLLBACK_UNSAFE. */
  refuse(message: string): Promise<never>;
  /** Ends the rotation with `patch`, its history entry and its notices, in one write. */
  finish(patch: Partial<PolicyState>, outcome: HistoryEntry['outcome'], rotationId: string, message: string, release?: boolean): Promise<PolicyState>;
}

/** Before promote: the rotation is abandoned and its pending credential revoked and discarded (or retired by a person). */
async function abandonBeforePromote({ runtime, snapshot, ownership, signal, finish }: Rollback): Promise<RollbackOutcome> {
  const { provider, store, ref } = runtime;
  const rotationId = snapshot.state.rotationId ?? '';
  const pending = snapshot.pending?.rotationId === rotationId ? snapshot.pending : undefined;
  if (pending !== undefined && !provider.revoke && provider.assisted && provider.isRejected) {
    const message =
      'rotation abandoned by rollback; the current credential is unchanged. The token handed over for it is not used: rotad asks for its deletion (naming it, and the token to keep) and confirms it';
    await finish({ phase: 'revoke', rotationId, retire: { slot: 'pending', rotationId, reason: 'abandoned', then: 'idle' } }, 'aborted', rotationId, message);
    return { action: 'aborted', rotationId, message };
  }
  const leftAlive = pending !== undefined && !provider.revoke && provider.assisted !== undefined;
  const message = `rotation abandoned by rollback; the current credential is unchanged${leftAlive ? '. The token handed over for it is still valid at the provider: delete it in the provider UI (the newer one; keep the token in use)' : ''}`;
  // The rotation ends first: interrupted after this, its pending credential is an orphan that the
  // next rotation revokes and discards, never one a resumed rotation would try to verify.
  await finish({}, 'aborted', rotationId, message, false);
  if (pending !== undefined && provider.revoke) {
    await ownership.ensureHeld();
    await provider.revoke(providerContext(holding(runtime, ownership), rotationId, signal), pending, snapshot.current);
  }
  await ownership.ensureHeld();
  await store.discardPending(ref, rotationId);
  await ownership.write((s) => s, true);
  return { action: 'aborted', rotationId, message };
}

/** After promote (or idle): the previous credential is current again, and the one stepped back from is retired after the grace period. */
async function restorePrevious({ runtime, snapshot, ownership, now, signal, refuse, finish }: Rollback): Promise<RollbackOutcome> {
  const { name, provider } = runtime;
  const { state } = snapshot;
  const previous = snapshot.previous;
  const abandoned = snapshot.current;
  if (previous === undefined) return refuse(`policy ${name} has no previous credential to restore`);
  if (previous.revokedAt !== undefined)
    return refuse(`the previous credential of policy ${name} was revoked at ${new Date(previous.revokedAt).toISOString()}; rotate instead`);
  const rotationId = state.rotationId ?? state.lastRotationId ?? previous.rotationId;
  // A person may have deleted it already (asked to, before this rollback): restoring it would break every consumer.
  const deleted =
    provider.isRejected !== undefined &&
    (await provider.isRejected(providerContext(runtime, rotationId, signal), previous).catch(async (error: unknown) => {
      await ownership.write((s) => s, true).catch(() => undefined);
      throw error;
    }));
  if (deleted) return refuse(`the previous credential of policy ${name} is no longer accepted by the provider (it was deleted); rotate instead`);
  const restored = { lastRotatedAt: previous.createdAt, lastRotationId: previous.rotationId };
  if (abandoned === undefined) {
    await restore(runtime, ownership, previous).catch(async (error: unknown) => {
      await ownership.write((s) => s, true).catch(() => undefined);
      throw error;
    });
    const message = `previous credential (rotation ${previous.rotationId}) is current again`;
    await finish(restored, 'rolled-back', rotationId, message);
    return { action: 'rolled-back', restoredRotationId: previous.rotationId, message };
  }
  // The credential the rollback steps back from may still work: it is retired like an old one
  // (where the provider can neither revoke nor confirm, the retire ends at once).
  const how = provider.revoke
    ? ' is revoked at the provider after the grace period'
    : provider.assisted && provider.isRejected
      ? ' is deleted by a person, who is asked for exactly that token (and told which one to keep), after the grace period'
      : '';
  // A second rollback in a row steps forward again, to the credential the first one stepped back from: said so.
  const lastOutcome = state.history.filter((h) => h.outcome !== 'aborted').at(-1)?.outcome;
  const forward = lastOutcome === 'rolled-back' ? ' (this rolls forward: it is the credential the last rollback stepped back from)' : '';
  const message = `previous credential (rotation ${previous.rotationId}) is current again${forward}${how && `; the one of rotation ${abandoned.rotationId}${how}`}`;
  // Recorded before the store changes, so that a rollback interrupted from here on is finished by
  // whoever holds the policy next (retire.ts, finishRestore) instead of being left half done.
  await finish(
    {
      ...restored,
      phase: 'grace',
      rotationId: state.rotationId ?? newRotationId(now, runtime.random),
      trigger: 'cli',
      startedAt: now,
      graceUntil: now + runtime.settings.graceMs,
      retire: { slot: 'previous', rotationId: abandoned.rotationId, reason: 'rolled-back', then: 'idle', restoring: true },
    },
    'rolled-back',
    rotationId,
    message,
    false,
  );
  try {
    await restore(runtime, ownership, previous);
  } catch (error) {
    await ownership.write((s) => s, true).catch(() => undefined);
    throw new RotadError(
      'STORE_UNREACHABLE',
      `the rollback of policy ${name} is recorded, but making the previous credential current and handing it to every consumer failed (${describeError(error).message}); the daemon finishes it`,
      { cause: error, retryable: true },
    );
  }
  // Not written (the store failed just now): the daemon finds the restore done and clears the mark itself.
  await ownership.write((s) => ({ ...s, retire: s.retire && { ...s.retire, restoring: undefined } }), true).catch(() => undefined);
  return { action: 'rolled-back', restoredRotationId: previous.rotationId, message };
}

/** The store's previous credential made current, and handed to every consumer, under the rollback's lease. */
async function restore(runtime: PolicyRuntime, ownership: Ownership, previous: StoredCredential): Promise<void> {
  const signal = ownership.lost;
  await ownership.ensureHeld();
  await runtime.store.rollback(runtime.ref);
  for (const { consumer } of runtime.consumers) {
    await ownership.ensureHeld();
    await consumer.update(consumerContext(holding(runtime, ownership), previous.rotationId, signal), previous);
  }
}
