import { rollbackPolicy } from '../rotation/rollback.js';
import { loadForCommand } from './config-arg.js';
import { selectPolicies } from '../control/select.js';
import { openRuntime } from './open-runtime.js';
import { out } from './output.js';
import { wakeDaemon } from './wake-daemon.js';
import { AuditTrail } from '../observability/audit.js';
import { silentLogger, type Logger } from '../observability/logger.js';

/** `rotad rollback NAME`: abandon a rotation before promote, or make the previous credential current again. */
export async function rollbackCommand(path: string, name: string, logger: Logger): Promise<number> {
  const config = await loadForCommand(path);
  if (!config) return 2;
  // The restored credential reaches consumers named by the daemon's fingerprint key (a Secret's annotation, a rollout's template).
  const audit = await AuditTrail.open(silentLogger(), config.daemon.stateDir);
  const runtime = openRuntime(config, logger, audit);
  try {
    const [policy] = selectPolicies(runtime.policies, { names: [name] });
    const outcome = await rollbackPolicy(policy!);
    out.line(
      outcome.action === 'aborted'
        ? `${name}: rotation ${outcome.rotationId} abandoned; the current credential is unchanged`
        : `${name}: previous credential (rotation ${outcome.restoredRotationId}) is current again and was handed to every consumer`,
    );
    // The daemon reports it (notifiers, audit trail, log) and updates its metrics at its next look: now.
    const woken = await wakeDaemon(config.daemon.stateDir, Date.now(), 'the notification and audit event are sent');
    out.line(woken.notified ? `${woken.message}: it sends the notification and the audit event` : woken.message);
    return 0;
  } finally {
    await runtime.close();
  }
}
