import { describeError } from '../errors.js';
import { mergeHistory } from '../history-trail.js';
import type { HistoryEntry, PolicyState } from '../policy-state.js';
import type { PolicyRuntime } from './context.js';
import type { Secret } from '../secret.js';
import type { StoredCredential } from '../stores/types.js';

/** Ended rotations a policy's history keeps unless `daemon.historyKeep` says otherwise. */
const DEFAULT_HISTORY_KEEP = 100;

/**
 * Files the ended rotations the state holds into the store's history of the policy, after the
 * write that ended one. Failing is not losing: the state keeps its last few ended rotations, and
 * the next filing (or a reader) merges them in.
 */
export async function fileHistory(runtime: Pick<PolicyRuntime, 'store' | 'ref' | 'historyKeep' | 'logger'>, state: PolicyState): Promise<void> {
  if (state.history.length === 0) return;
  try {
    await runtime.store.fileHistory(runtime.ref, state.history, runtime.historyKeep ?? DEFAULT_HISTORY_KEEP);
  } catch (error) {
    runtime.logger.warn({ error: describeError(error) }, 'History not filed in the store; it is filed with the next rotation');
  }
}

/** A policy's history as the store filed it, with the ended rotations its state holds and the store may not have yet. */
export async function readHistory(runtime: Pick<PolicyRuntime, 'store' | 'ref' | 'historyKeep'>, state?: PolicyState): Promise<HistoryEntry[]> {
  const [filed, recent] = await Promise.all([runtime.store.readHistory(runtime.ref), state ?? runtime.store.read(runtime.ref).then((s) => s.state)]);
  return mergeHistory(filed, recent.history, runtime.historyKeep ?? DEFAULT_HISTORY_KEEP);
}

/** Keyed fingerprints (the audit trail's) of the credential a rotation made current and of the one it replaced; none without an audit trail. */
export function fingerprintsOf(
  runtime: { audit?: { fingerprint(value: Secret): string } | undefined },
  made: StoredCredential | undefined,
  replaced: StoredCredential | undefined,
): HistoryEntry['fingerprints'] {
  const { audit } = runtime;
  if (!audit || (!made && !replaced)) return undefined;
  return { ...(made && { new: audit.fingerprint(made.value) }), ...(replaced && { old: audit.fingerprint(replaced.value) }) };
}
