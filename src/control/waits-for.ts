import type { PolicySettings } from '../timing/policy-settings.js';
import type { PolicySnapshot } from '../stores/types.js';

/**
 * What a policy with no next run time waits for, in the words `plan` and `status` use: a stopped
 * rotation waits for `rotad rotate` (resume) or `rotad rollback`, whatever its provider; a schedule
 * with no further slot waits for a request.
 */
export function waitsFor(policy: PolicySettings, snapshot: PolicySnapshot): string {
  if (policy.suspended) return 'nothing: the policy is suspended (suspend: true); remove it to rotate again';
  if (snapshot.state.attention) return `rotad rotate ${policy.name} (resumes the stopped rotation) or rotad rollback ${policy.name}`;
  if (policy.timing.schedule.kind === 'manual') return `rotad rotate ${policy.name}${policy.rotateOnSignal ? ' or SIGUSR2' : ''} (schedule: manual)`;
  return `rotad rotate ${policy.name} (the schedule has no further run)`;
}
