import { providerContext } from '../rotation/call-context.js';
import type { PolicyRuntime } from '../rotation/context.js';
import { describeError } from '../errors.js';
import { mapLimited } from '../map-limited.js';
import { activeMsOf } from './incident-estimate.js';
import { silentLogger } from '../observability/logger.js';
import { policyConfig, type Runtime } from '../wiring/runtime.js';

/** What an incident rotation would do for one policy; `rotad rotate --incident --drill` prints these and writes nothing. */
export interface IncidentDrillRow {
  policy: string;
  provider: string;
  /** `automatic`: rotad makes the credential; `assisted`: a person is asked (at once, urgent, escalated). */
  kind: 'automatic' | 'assisted' | 'suspended';
  /** The person asked, for an assisted provider. */
  asks?: string | undefined;
  /** Notifiers told, and those the urgent request is escalated to. */
  notify: string[];
  escalate: string[];
  consumers: number;
  /** The wait between the last consumer's confirmation and revoke. */
  graceMs: number;
  /** The phase of a rotation in progress: finished first (hurried), then one more follows. */
  inProgress?: string | undefined;
  /** The working time of its last completed rotation (incident-estimate.ts), if it has one. */
  activeMs?: number | undefined;
  error?: string | undefined;
}

/** Reads each policy's state (nothing is written, nobody is told) and says what an incident would do. */
export function drillIncident(runtime: Pick<Runtime, 'config'>, policies: readonly PolicyRuntime[]): Promise<IncidentDrillRow[]> {
  return mapLimited(policies, 16, async (policy): Promise<IncidentDrillRow> => {
    const { settings, provider } = policy;
    const row: IncidentDrillRow = {
      policy: policy.name,
      provider: policyConfig(runtime, policy.name).provider.type,
      kind: settings.suspended ? 'suspended' : provider.assisted ? 'assisted' : 'automatic',
      notify: settings.notify,
      escalate: settings.escalate,
      consumers: policy.consumers.length,
      graceMs: Math.min(settings.incidentGraceMs, settings.graceMs),
    };
    try {
      const snapshot = await policy.store.read(policy.ref);
      if (snapshot.state.phase !== 'idle') row.inProgress = snapshot.state.phase;
      const last = snapshot.state.history.findLast((h) => h.outcome === 'succeeded');
      row.activeMs = activeMsOf(last, provider.assisted !== undefined);
      if (provider.assisted) {
        const ctx = providerContext(policy, snapshot.state.rotationId ?? '', new AbortController().signal, silentLogger());
        row.asks = provider.assisted.createRequest(ctx, snapshot.current).account;
      }
    } catch (error) {
      row.error = describeError(error).message;
    }
    return row;
  });
}
