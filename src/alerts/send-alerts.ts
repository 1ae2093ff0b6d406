import type { PolicySettings } from '../timing/policy-settings.js';
import type { PolicyRuntime } from '../rotation/context.js';
import { writeOnSnapshot } from '../stores/state-writes.js';
import type { PolicySnapshot } from '../stores/types.js';
import { checkAlerts, type AlertCheck } from './expiry.js';

/**
 * Sends the expiry and overdue alerts that are due, recording them in the policy's state first so
 * that each fires once across restarts and replicas. When another writer moved the state on since
 * `snapshot`, none is sent: the next look decides again. Returns the check and the snapshot as written.
 */
export async function sendDueAlerts(
  policy: PolicyRuntime,
  config: PolicySettings,
  snapshot: PolicySnapshot,
  now: number,
): Promise<{ check: AlertCheck; snapshot: PolicySnapshot }> {
  const check = checkAlerts(config, snapshot, now);
  if (check.events.length === 0) return { check, snapshot };
  const written = await writeOnSnapshot(policy, snapshot, { ...snapshot.state, alertsSent: check.alertsSent });
  if (!written) return { check: { ...check, events: [] }, snapshot };
  for (const event of check.events) await policy.notify(event);
  return { check, snapshot: written };
}
