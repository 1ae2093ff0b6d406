import { providerContext } from '../rotation/call-context.js';
import { isoSeconds as iso } from '../duration.js';
import { describeError } from '../errors.js';
import { silentLogger } from '../observability/logger.js';
import type { Runtime } from '../wiring/runtime.js';
import type { PolicyRuntime } from '../rotation/context.js';
import type { PolicySnapshot } from '../stores/types.js';
import { mapLimited } from '../map-limited.js';
import { nextDue } from '../timing/next-run.js';
import { waitsFor } from './waits-for.js';

export interface PolicyStatus {
  policy: string;
  phase: string;
  rotationId?: string | undefined;
  credentialAgeMs?: number | undefined;
  /** When the current credential expires, when the provider says. */
  credentialExpiresAt?: string | undefined;
  lastRotatedAt?: string | undefined;
  /** The last rotation that completed: `rotad rotate --wait` sees a policy done when it changes. */
  lastRotationId?: string | undefined;
  nextRotationAt?: string | undefined;
  nextReason?: string | undefined;
  /** When no run is due by itself: what the policy waits for (a command, a person). */
  waitsFor?: string | undefined;
  /** The policy's labels (selectors match them). */
  labels?: Record<string, string> | undefined;
  /** An incident rotation asked for and not yet done: why, who asked, when. */
  incident?: { reason: string; actor: string; at: string } | undefined;
  /** `suspend: true`: nothing starts or goes on. */
  suspended?: boolean | undefined;
  needsAttention: boolean;
  attention?: { code: string; message: string; phase: string } | undefined;
  error?: string | undefined;
  /** The daemon working on the rotation right now, and until when its lease runs (a killed one's runs out by itself). */
  heldBy?: { owner: string; until: string } | undefined;
  /**
   * Between promote and revoke: what the old credential's revocation waits for. Every consumer's
   * confirmation first (so many of so many), then the grace period, a minimum wait, until `graceUntil`.
   */
  revokeWaitsFor?: { consumersConfirmed: number; consumers: number; graceUntil?: string | undefined } | undefined;
  /** Set while the rotation waits for a person: who, for what, since when, until when. */
  waitingFor?:
    | {
        action: 'create' | 'delete';
        account: string;
        summary: string;
        since: string;
        deadline: string;
        reminders: number;
        lastRefusal?: string | undefined;
        asked: boolean;
      }
    | undefined;
}

/** One policy's status row from a read of its store (`snapshot`). */
export function statusRow(policyRuntime: PolicyRuntime, snapshot: PolicySnapshot, now: number): PolicyStatus {
  const { settings: policy, provider } = policyRuntime;
  const { state } = snapshot;
  const due = policy.suspended ? undefined : nextDue(policy.timing, state, now, snapshot.current);
  let waitingFor: PolicyStatus['waitingFor'];
  if (state.assist && provider.assisted) {
    const ctx = providerContext(policyRuntime, state.rotationId ?? '', new AbortController().signal, silentLogger());
    const request =
      state.assist.action === 'create'
        ? provider.assisted.createRequest(ctx, snapshot.current)
        : provider.assisted.deleteRequest(ctx, snapshot.previous ?? snapshot.current!, snapshot.current);
    waitingFor = {
      action: state.assist.action,
      account: request.account,
      summary: request.summary,
      since: iso(state.assist.requestedAt),
      deadline: iso(state.assist.deadline),
      reminders: state.assist.reminders,
      lastRefusal: state.assist.refusal,
      asked: state.assist.asked,
    };
  }
  return {
    policy: policy.name,
    phase: state.phase,
    rotationId: state.rotationId,
    credentialAgeMs: snapshot.current ? now - snapshot.current.createdAt : undefined,
    credentialExpiresAt: snapshot.current?.expiresAt === undefined ? undefined : iso(snapshot.current.expiresAt),
    lastRotatedAt: state.lastRotatedAt === undefined ? undefined : iso(state.lastRotatedAt),
    lastRotationId: state.lastRotationId,
    nextRotationAt: due ? iso(due.at) : undefined,
    nextReason: due?.reason,
    waitsFor: due ? undefined : waitsFor(policy, snapshot),
    labels: Object.keys(policy.labels).length > 0 ? { ...policy.labels } : undefined,
    incident: state.incident && { reason: state.incident.reason, actor: state.incident.actor, at: iso(state.incident.at) },
    suspended: policy.suspended,
    needsAttention: state.attention !== undefined,
    heldBy: state.lease && state.lease.until > now ? { owner: state.lease.owner, until: iso(state.lease.until) } : undefined,
    waitingFor,
    revokeWaitsFor:
      (state.phase === 'consumers' || state.phase === 'grace') && !state.retire
        ? {
            consumersConfirmed: state.phase === 'grace' ? policyRuntime.consumers.length : state.consumersDone.length,
            consumers: policyRuntime.consumers.length,
            graceUntil: state.phase === 'grace' && state.graceUntil !== undefined ? iso(state.graceUntil) : undefined,
          }
        : undefined,
    attention: state.attention && { code: state.attention.code, message: state.attention.message, phase: state.attention.phase },
  };
}

/** The row of a policy whose store could not be read: reported with the error, not left out. */
export const unreadableRow = (name: string, error: unknown): PolicyStatus => ({
  policy: name,
  phase: 'unknown',
  needsAttention: true,
  error: describeError(error).message,
});

/** Store reads made at once for a status of many policies. */
const STATUS_READS_AT_ONCE = 16;

/**
 * Each policy's phase, credential age, last and next rotation, attention and open request to a
 * person, read from its store: what `rotad status --json` prints and the control API serves. A
 * policy whose store cannot be read is reported with the error, not left out. `observe` is told
 * of every read (the daemon keeps the latest for its dashboard).
 */
export async function policyStatuses(
  runtime: Runtime,
  only?: readonly string[],
  now = Date.now(),
  observe?: (name: string, snapshot: PolicySnapshot) => void,
): Promise<PolicyStatus[]> {
  const wanted = only === undefined ? undefined : new Set(only);
  const policies = [...runtime.policies.values()].filter((p) => wanted === undefined || wanted.has(p.name));
  return mapLimited(policies, STATUS_READS_AT_ONCE, async (policyRuntime) => {
    try {
      const snapshot = await policyRuntime.store.read(policyRuntime.ref);
      observe?.(policyRuntime.name, snapshot);
      return statusRow(policyRuntime, snapshot, now);
    } catch (error) {
      return unreadableRow(policyRuntime.name, error);
    }
  });
}
