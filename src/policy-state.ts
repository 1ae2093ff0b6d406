import { z } from 'zod';

/**
 * The phases of one rotation, in order (docs/design.md, "The rotation protocol"). The persisted phase
 * is always the step to run next, so a restarted daemon repeats at most the step it was in.
 */
export const PHASES = ['obtain', 'verify', 'promote', 'consumers', 'grace', 'revoke', 'complete'] as const;
export type Phase = (typeof PHASES)[number];
const PhaseOrIdle = z.enum(['idle', ...PHASES]);
type PhaseOrIdle = z.infer<typeof PhaseOrIdle>;

/** What started a rotation. */
export const Trigger = z.enum(['initial', 'schedule', 'max-age', 'expiry', 'signal', 'cli', 'resume', 'incident']);
export type Trigger = z.infer<typeof Trigger>;

/**
 * An incident request (`rotad rotate --incident`, a leak report): rotate now, without the waits a
 * routine rotation keeps (schedule window, ask hours, grace), telling everyone why and who asked.
 * It is served by the first rotation that starts after it; one already running when it arrives is
 * finished first (hurried, with the incident's pacing), then one more follows, since the leaked
 * value may be the new one.
 */
export const Incident = z.object({
  /** Why, as the person or the leak report said it (e.g. `INC-1234: token in a public repo`). */
  reason: z.string(),
  /** Who asked: `cli`, `api:<token name>`, `leak:<source>`. */
  actor: z.string(),
  /** Epoch ms of the request. */
  at: z.number(),
  /** The rotation that serves it, once one started after the request. */
  rotationId: z.string().optional(),
});
export type Incident = z.infer<typeof Incident>;

/** Why a rotation stopped and waits for a person (docs/design.md, invariant 5). */
const Attention = z.object({
  code: z.string(),
  message: z.string(),
  phase: z.enum(PHASES),
  at: z.number(),
});
type Attention = z.infer<typeof Attention>;

/**
 * A one-time hand-over link sent to a person (docs/api.md): only the hash of the secret in its
 * fragment is kept, so neither a restart nor a copy of the store can use it.
 */
export const HandoverLink = z.object({
  /** The request id in the link's path: `<policy>.<random>`. */
  id: z.string(),
  /** SHA-256 (hex) of the secret in the link's fragment. */
  hash: z.string(),
  /** Epoch ms after which it is refused. */
  expiresAt: z.number(),
  /** Tokens handed over through it and refused. */
  refused: z.number().default(0),
  /** Set once it has taken its last refused token (daemon.api.handoverTries). */
  locked: z.boolean().default(false),
});
export type HandoverLink = z.infer<typeof HandoverLink>;

/** A request to a person in an assisted rotation: create the new credential, or delete the old one. */
export const Assist = z.object({
  action: z.enum(['create', 'delete']),
  requestedAt: z.number(),
  /** Epoch ms after which the request is escalated (once). */
  deadline: z.number(),
  remindedAt: z.number(),
  reminders: z.number().default(0),
  escalated: z.boolean().default(false),
  /** When the daemon looks again (reminder, deadline, handover slot, revocation check). */
  nextLookAt: z.number(),
  /** Why the last handed-over value was refused, for `rotad status`. */
  refusal: z.string().optional(),
  /** False while the request waits for the next `assist.askWithin` window (`requestedAt` is then when it will be asked). */
  asked: z.boolean().default(true),
  /** Hand-over links of this request, newest last (the request and its latest reminders). */
  links: z.array(HandoverLink).default([]),
  /** The next reminder goes at this time instead of the usual pace ("Remind me in 4 h"); cleared when it goes. */
  remindAt: z.number().optional(),
});
export type Assist = z.infer<typeof Assist>;

/** A request to a person during a rotation, for the history: what, of which account, when. */
const Asked = z.object({ action: z.enum(['create', 'delete']), account: z.string().optional(), at: z.number() });

/**
 * What happened during the rotation in progress, kept for its history entry: when each phase was
 * entered, the people asked, who handed the token over, each consumer's confirmation and each stop
 * that needed attention. Phases ride on the writes the engine makes anyway, so this costs no store call.
 */
const PhaseTimes = z.array(z.tuple([z.enum(PHASES), z.number()]));
const AskedList = z.array(Asked);
const ConsumerTimes = z.array(z.tuple([z.string(), z.number()]));
const Stops = z.array(z.object({ code: z.string(), phase: z.enum(PHASES), at: z.number() }));

export const Trail = z.object({
  /** Who started it: `schedule`, `signal`, `cli`, `api:<token name>`, `leak:<source>`. */
  actor: z.string().optional(),
  /** [phase, epoch ms it was entered], in order; a phase run again after a crash or a stop appears again. */
  phases: PhaseTimes.default([]),
  asked: AskedList.default([]),
  /** Who handed the new token over (assisted rotations): `handover-link` (the page), `cli`, `api:<token name>`, `store`. */
  handedOverBy: z.string().optional(),
  /** [consumer key, epoch ms it was confirmed]. */
  consumers: ConsumerTimes.default([]),
  /** Each time the rotation stopped and needed attention. */
  errors: Stops.default([]),
  /** A request to a person passed its deadline and was escalated (action-overdue sent). */
  escalated: z.boolean().optional(),
});
export type Trail = z.infer<typeof Trail>;

/**
 * One ended rotation, as the history keeps it (docs/api.md, "History"): never a credential value,
 * only keyed fingerprints (those of the audit trail).
 */
export const HistoryEntry = z.object({
  actor: z.string().optional(),
  phases: PhaseTimes.optional(),
  asked: AskedList.optional(),
  handedOverBy: z.string().optional(),
  consumers: ConsumerTimes.optional(),
  errors: Stops.optional(),
  escalated: z.boolean().optional(),
  rotationId: z.string(),
  outcome: z.enum(['succeeded', 'rolled-back', 'aborted']),
  /** Epoch ms it ended. */
  at: z.number(),
  /** The reason of the incident it served, if any. */
  incident: z.string().optional(),
  trigger: Trigger.optional(),
  /** Who rolled it back or aborted it, for those outcomes (`actor` started it). */
  endedBy: z.string().optional(),
  startedAt: z.number().optional(),
  /** Keyed fingerprints of the credential it made current and of the one it replaced (or, rolled back: restored). */
  fingerprints: z.object({ new: z.string().optional(), old: z.string().optional() }).optional(),
});
export type HistoryEntry = z.infer<typeof HistoryEntry>;

/**
 * Who works on the policy's rotation right now, and until when (epoch ms, the holder's clock).
 * Written with every state write of the holder, renewed before side effects once half has run, and
 * released when the rotation stops or waits; a holder killed without releasing it blocks others
 * only until `until` (see lease.ts).
 */
export const Lease = z.object({ owner: z.string(), until: z.number() });
export type Lease = z.infer<typeof Lease>;

/**
 * Something a one-shot command did that the daemon reports (`rotad rollback`): written with the
 * change itself, delivered by the daemon through its notifiers, audit trail and log, then removed.
 */
const Notice = z.object({
  type: z.enum(['rotation-rolled-back', 'rotation-aborted', 'request-withdrawn']),
  rotationId: z.string(),
  message: z.string(),
  /** Epoch ms of the change. */
  at: z.number(),
  /** Who made it (for the audit trail): `cli`, or `api:<token name>`. */
  actor: z.string(),
});
type Notice = z.infer<typeof Notice>;

/**
 * A credential rotad stopped keeping that may still work at the provider: the one a rollback
 * abandoned (now previous), or a pending one no rotation will use. The revoke phase retires it
 * (by API, or by asking a person to delete exactly it and keep the current one, then confirming
 * that the provider rejects it) before the rotation ends or goes on; see docs/design.md, invariant 1.
 */
export const Retire = z.object({
  /** Where the store keeps it meanwhile. */
  slot: z.enum(['previous', 'pending']),
  /** The rotation that created it (its key in the store). */
  rotationId: z.string(),
  /** `rolled-back`: `rotad rollback` made the older credential current again; `abandoned`: a rollback before promote; `orphan`: left pending by an earlier rotation. */
  reason: z.enum(['rolled-back', 'abandoned', 'orphan']),
  /** What follows once it is gone: the rotation ends, or (an orphan) goes on asking for its own credential. */
  then: z.enum(['idle', 'obtain']),
  /**
   * Set by a rollback when it records itself, cleared once the restored credential is current in
   * the store and every consumer has it: a rollback interrupted in between is finished by whoever
   * holds the policy next (the daemon, in the grace phase).
   */
  restoring: z.boolean().optional(),
});
export type Retire = z.infer<typeof Retire>;

/** Everything rotad remembers about one policy, apart from the credentials themselves. */
export const PolicyState = z.object({
  phase: PhaseOrIdle,
  /** Id of the rotation in progress (also the idempotency key of every step). */
  rotationId: z.string().optional(),
  trigger: Trigger.optional(),
  startedAt: z.number().optional(),
  lease: Lease.optional(),
  /**
   * Set just before the provider is asked to create a credential for this rotation: if the process
   * dies before the answer is staged, the resumed rotation knows a credential may exist that rotad
   * never saw, and says so.
   */
  obtainStartedAt: z.number().optional(),
  /** Epoch ms after which the old credential may be revoked. */
  graceUntil: z.number().optional(),
  /** Consumers (by position key) already confirmed for the rotation in progress. */
  consumersDone: z.array(z.string()).default([]),
  attention: Attention.optional(),
  /** Set while the rotation waits for a person (assisted rotation). */
  assist: Assist.optional(),
  /** Set while a credential rotad no longer keeps is being retired (rollback, abandoned or orphaned). */
  retire: Retire.optional(),
  /** A manual request (`rotad rotate`) not yet served. */
  requestedAt: z.number().optional(),
  /** Who made it: `cli`, `api:<token name>`. */
  requestedBy: z.string().optional(),
  /** An incident not yet served: its rotation runs with the incident's pacing (see Incident). */
  incident: Incident.optional(),
  lastRotatedAt: z.number().optional(),
  lastRotationId: z.string().optional(),
  /**
   * When the last completed rotation that a request started (`rotad rotate`, SIGUSR2) began: a
   * signal arriving shortly after is the same request reaching another replica, and is served.
   */
  lastRequestedStartAt: z.number().optional(),
  /** The rotation in progress so far, for its history entry. */
  trail: Trail.optional(),
  /** The last few ended rotations; the full history (daemon.history.keep) is filed in the store beside the state. */
  history: z.array(HistoryEntry).default([]),
  /** Alerts already sent (expiry thresholds, expired, overdue), so that each fires once, across restarts. */
  alertsSent: z.array(z.string()).default([]),
  /** Notices of one-shot commands not yet delivered by a daemon. */
  outbox: z.array(Notice).default([]),
  /**
   * The replica delivering the outbox, until when: taken before the notices go out and released
   * with their removal, so one replica delivers them, and one that dies or loses the answer of its
   * write leaves them to be delivered again once this runs out (a notice may repeat; it is never lost).
   */
  outboxClaim: Lease.optional(),
});
export type PolicyState = z.infer<typeof PolicyState>;

export const IDLE_STATE: PolicyState = Object.freeze({ phase: 'idle', consumersDone: [], history: [], alertsSent: [], outbox: [] }) as PolicyState;

/** The fields that end a rotation in progress, whatever the outcome: written once, used by complete and rollback. */
export const ROTATION_ENDED = Object.freeze({
  phase: 'idle',
  rotationId: undefined,
  trigger: undefined,
  startedAt: undefined,
  attention: undefined,
  requestedAt: undefined,
  requestedBy: undefined,
  graceUntil: undefined,
  assist: undefined,
  retire: undefined,
  obtainStartedAt: undefined,
  consumersDone: [] as string[],
  trail: undefined,
} satisfies Partial<PolicyState>);

/** Ended rotations kept in the state itself (the engine's own memory, and what is filed next). */
const HISTORY_IN_STATE = 10;

export function appendHistory(history: readonly HistoryEntry[], entry: HistoryEntry): HistoryEntry[] {
  return [...history, entry].slice(-HISTORY_IN_STATE);
}
