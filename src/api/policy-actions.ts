import { requestRotations } from '../control/request-rotation.js';
import { newLeaseOwner } from '../rotation/lease.js';
import { rollbackPolicy, type RollbackOutcome } from '../rotation/rollback.js';
import type { PolicyRuntime } from '../rotation/context.js';
import type { ControlPort } from './control-port.js';

/** A rotation of one policy asked for through the API or the dashboard: recorded, audited with who asked, and the daemon woken. */
export async function requestPolicyRotation(control: ControlPort, policy: PolicyRuntime, actor: string): Promise<void> {
  await requestRotations(control.config(), [policy], true, Date.now(), undefined, actor);
  control.audit.record({ policy: policy.name, phase: 'request', outcome: 'requested', actor });
  control.wake([policy.name]);
}

/** A rollback asked for through the API or the dashboard, as its own lease holder: a rotation this daemon is working on is refused like one of another daemon. */
export async function rollbackFromApi(control: ControlPort, policy: PolicyRuntime, actor: string): Promise<RollbackOutcome> {
  const outcome = await rollbackPolicy({ ...policy, owner: newLeaseOwner('api') }, actor);
  control.wake([policy.name]);
  return outcome;
}
