import { RotadError } from '../errors.js';
import type { AuditTrail } from '../observability/audit.js';
import { mapLimited } from '../map-limited.js';
import type { PolicyRuntime } from '../rotation/context.js';
import type { Secret } from '../secret.js';
import type { StoredCredential } from '../stores/types.js';
import { recordIncident } from './update-state.js';
import { cachedHmslHash } from './hmsl-cache.js';

/**
 * A leaked credential as a scanner reported it: its value (never stored nor logged: only its keyed
 * fingerprint is compared) or that fingerprint, where it was found, and by whom.
 */
export interface LeakReport {
  value?: Secret | undefined;
  /** The keyed fingerprint (16 hex digits, as the audit trail names credentials), for a reporter that holds no value. */
  fingerprint?: string | undefined;
  /** The HasMySecretLeaked hash (64 hex digits), as a GitGuardian incident carries it instead of the value. */
  hmslHash?: string | undefined;
  /** The scanner or person: `github`, `gitguardian`, `trufflehog`, a name. */
  source: string;
  /** Where it was found (a commit, an alert). */
  url?: string | undefined;
}

/** What a leak report matched in one policy, and what rotad did about it. */
interface LeakMatch {
  policy: string;
  slot: 'current' | 'pending' | 'previous';
  /**
   * `incident-rotation`: the credential is or was about to be in use; an incident rotation replaces it now.
   * `revoke-now`: an older credential not yet revoked; an incident rotation revokes it without waiting for its grace.
   * `already-revoked`: an older credential the provider already refuses; nothing to do.
   * `not-revocable`: an older credential of a provider rotad cannot revoke (no API, e.g. `random`); no consumer has it any more.
   */
  action: 'incident-rotation' | 'revoke-now' | 'already-revoked' | 'not-revocable';
  rotationId: string;
  credentialId?: string | undefined;
  /** The keyed fingerprint of the matched credential. */
  fingerprint: string;
  /** The policy is suspended: the incident is recorded and served once `suspend` is removed. */
  suspended?: boolean | undefined;
  /** Not revocable by API, but a person can delete it at the provider (an assisted provider). */
  byHand?: boolean | undefined;
}

export interface LeakOutcome {
  fingerprint: string;
  matches: LeakMatch[];
  /** For the reporter and the audit trail: what was done, in a sentence. */
  message: string;
}

const startsIncident = (m: LeakMatch): boolean => m.action === 'incident-rotation' || m.action === 'revoke-now';
const FINGERPRINT = /^[0-9a-f]{16}$/;
const HMSL_HASH = /^[0-9a-f]{64}$/;
const SLOTS = ['current', 'pending', 'previous'] as const;
const READ_CONCURRENCY = 32;

/** The reason an incident rotation started by a leak carries into every message. */
function leakReason(report: Pick<LeakReport, 'source' | 'url'>): string {
  return `credential leak reported by ${report.source}${report.url ? `: ${report.url}` : ''}`;
}

/**
 * Matches a leak against every policy's current, pending and previous credential by keyed
 * fingerprint and acts on each match: an incident rotation for a credential in use or about to be,
 * revoke now for an older one not yet revoked. No match is answered as such ("not a credential rotad
 * manages"); the caller audits the outcome either way.
 */
export async function handleLeak(
  policies: readonly PolicyRuntime[],
  fingerprintOf: (value: Secret) => string,
  report: LeakReport,
  now: number,
  candidatesFor?: (fingerprint: string) => readonly string[],
): Promise<LeakOutcome> {
  const leaked = leakedAs(report, fingerprintOf);
  // The policies an index last saw holding it are read first; only when none holds it any more is every policy read.
  const candidates = new Set(leaked.fingerprint === undefined ? [] : (candidatesFor?.(leaked.fingerprint) ?? []));
  const likely = policies.filter((p) => candidates.has(p.name));
  const search = (among: readonly PolicyRuntime[]) => mapLimited(among, READ_CONCURRENCY, async (policy) => matchesIn(policy, leaked.is));
  let matches = (await search(likely)).flat();
  if (matches.length === 0) matches = (await search(policies)).flat();
  const reason = leakReason(report);
  const actor = `leak:${report.source}`;
  for (const policy of new Set(matches.filter(startsIncident).map((m) => m.policy))) {
    await recordIncident(
      policies.find((p) => p.name === policy)!,
      { reason, actor, at: now },
    );
  }
  // Reported by hash: named by the matched credential's keyed fingerprint, as the audit trail names it.
  const fingerprint = leaked.fingerprint ?? matches[0]?.fingerprint ?? `hmsl:${report.hmslHash!.slice(0, 16)}`;
  return { fingerprint, matches, message: describeMatches(matches) };
}

/** How a report names the leaked credential, and the test of a stored value against it. */
function leakedAs(
  report: LeakReport,
  fingerprintOf: (value: Secret) => string,
): { fingerprint?: string | undefined; is: (value: Secret, policy: string, rotationId: string) => Promise<string | undefined> } {
  const hmsl = report.hmslHash?.toLowerCase();
  if (report.value === undefined && report.fingerprint === undefined && hmsl !== undefined) {
    if (!HMSL_HASH.test(hmsl)) throw new RotadError('REQUEST_INVALID', 'a HasMySecretLeaked hash is 64 hexadecimal digits');
    return { is: async (value, policy, rotationId) => ((await cachedHmslHash(policy, rotationId, value)) === hmsl ? fingerprintOf(value) : undefined) };
  }
  const fingerprint = report.value ? fingerprintOf(report.value) : report.fingerprint?.toLowerCase();
  if (fingerprint === undefined || !FINGERPRINT.test(fingerprint))
    throw new RotadError(
      'REQUEST_INVALID',
      'a leak report needs the leaked value, or its fingerprint as 16 hexadecimal digits (as the audit trail names credentials)',
    );
  return { fingerprint, is: async (value) => (fingerprintOf(value) === fingerprint ? fingerprint : undefined) };
}

async function matchesIn(policy: PolicyRuntime, is: (value: Secret, policy: string, rotationId: string) => Promise<string | undefined>): Promise<LeakMatch[]> {
  const snapshot = await policy.store.read(policy.ref);
  const matches: LeakMatch[] = [];
  for (const slot of SLOTS) {
    const credential: StoredCredential | undefined = snapshot[slot];
    const fingerprint = credential && (await is(credential.value, policy.name, credential.rotationId));
    if (credential === undefined || fingerprint === undefined) continue;
    matches.push({
      policy: policy.name,
      slot,
      action: actionFor(policy, slot, credential, snapshot.state.phase),
      rotationId: credential.rotationId,
      credentialId: credential.id,
      fingerprint,
      ...(policy.settings.suspended && { suspended: true }),
      ...(policy.provider.assisted && { byHand: true }),
    });
  }
  return matches;
}

/**
 * What a leak of `credential` asks for. A previous credential is revoked by the rotation in progress
 * (an incident cuts its grace), or before the next one's promote when the provider revokes by API.
 */
function actionFor(policy: PolicyRuntime, slot: (typeof SLOTS)[number], credential: StoredCredential, phase: string): LeakMatch['action'] {
  if (slot !== 'previous') return 'incident-rotation';
  if (credential.revokedAt !== undefined) return 'already-revoked';
  return phase !== 'idle' || policy.provider.revoke !== undefined ? 'revoke-now' : 'not-revocable';
}

function describeMatches(matches: readonly LeakMatch[]): string {
  if (matches.length === 0) return 'not a credential rotad manages: it matches no current, pending or previous credential of any policy';
  const held = (m: LeakMatch): string => (m.suspended && startsIncident(m) ? ' (the policy is suspended: it rotates once suspend is removed)' : '');
  return matches.map((m) => describeMatch(m) + held(m)).join('; ');
}

function describeMatch(m: LeakMatch): string {
  if (m.action === 'incident-rotation') return `${m.policy}: the ${m.slot} credential; an incident rotation replaces it now`;
  if (m.action === 'revoke-now') return `${m.policy}: the previous credential, not yet revoked; an incident rotation revokes it now`;
  if (m.action === 'not-revocable' && m.byHand)
    return `${m.policy}: the previous credential (rotation ${m.rotationId}), not revoked, and rotad cannot revoke it by API: delete it at the provider now (no consumer has it since that rotation was replaced)`;
  if (m.action === 'not-revocable')
    return `${m.policy}: the previous credential; its provider has no way to revoke it, and no consumer has it since rotation ${m.rotationId} was replaced`;
  return `${m.policy}: the previous credential, already revoked; nothing to do`;
}

/** The audit trail's record of a leak report: one event per match, or one for no match (policy `*`); the fingerprint, never the value. */
export function auditLeak(audit: AuditTrail, report: LeakReport, outcome: LeakOutcome): string[] {
  const reason = leakReason(report);
  const actor = `leak:${report.source}`;
  for (const match of outcome.matches)
    audit.record({
      policy: match.policy,
      phase: 'leak',
      outcome: 'matched',
      actor,
      reason,
      credentialId: match.credentialId,
      fingerprint: outcome.fingerprint,
    });
  if (outcome.matches.length === 0) audit.record({ policy: '*', phase: 'leak', outcome: 'unmatched', actor, reason, fingerprint: outcome.fingerprint });
  return [...new Set(outcome.matches.filter(startsIncident).map((m) => m.policy))];
}
