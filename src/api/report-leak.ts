import { auditLeak, handleLeak, type LeakOutcome, type LeakReport } from '../control/leaks.js';
import type { ControlPort } from './control-port.js';

/**
 * A leak report received by the API (a scanner's webhook, POST /v1/leaks): matched and acted on,
 * audited (matched or not, with the fingerprint, never the value), logged, and the daemon woken for
 * the policies it concerns.
 */
export async function reportLeak(control: ControlPort, report: LeakReport, caller: string): Promise<LeakOutcome> {
  const runtime = control.runtime();
  const outcome = await handleLeak(
    [...runtime.policies.values()],
    (value) => control.audit.fingerprint(value),
    report,
    Date.now(),
    (fingerprint) => control.credentials?.policiesWith(fingerprint) ?? [],
  );
  const touched = auditLeak(control.audit, report, outcome);
  control.wake(touched);
  control.logger[outcome.matches.length > 0 ? 'warn' : 'info'](
    { source: report.source, url: report.url, reportedBy: caller, fingerprint: outcome.fingerprint, policies: touched },
    outcome.matches.length > 0 ? 'Leak reported: incident rotation started' : 'Leak reported: not a credential rotad manages',
  );
  return outcome;
}
