import { createInterface } from 'node:readline';
import { auditLeak, handleLeak, type LeakOutcome, type LeakReport } from '../control/leaks.js';
import { RotadError } from '../errors.js';
import { AuditTrail } from '../observability/audit.js';
import type { Logger } from '../observability/logger.js';
import { registerSecretValue, Secret } from '../secret.js';
import { loadForCommand } from './config-arg.js';
import { openRuntime } from './open-runtime.js';
import { out } from './output.js';
import { callDaemon, type RemoteDaemon } from './remote.js';
import { wakeDaemon } from './wake-daemon.js';

/**
 * One finding of TruffleHog's `--json` output (a JSON object per line): the raw secret and where it
 * was found. Only `Raw` (or `RawV2`) and the location are read; the value is never printed.
 */
interface TruffleHogFinding {
  Raw?: unknown;
  RawV2?: unknown;
  DetectorName?: unknown;
  SourceMetadata?: { Data?: Record<string, Record<string, unknown> | undefined> } | undefined;
}

/** Where TruffleHog found it, as one string: the link it gives, else repository, commit, file and line. */
function locationOf(finding: TruffleHogFinding): string | undefined {
  const data = finding.SourceMetadata?.Data ?? {};
  for (const meta of Object.values(data)) {
    if (meta === undefined || typeof meta !== 'object') continue;
    if (typeof meta.link === 'string' && meta.link !== '') return meta.link;
    const parts = [meta.repository, meta.commit, meta.file].filter((p): p is string => typeof p === 'string' && p !== '');
    if (parts.length > 0) return `${parts.join(' ')}${typeof meta.line === 'number' ? `:${meta.line}` : ''}`;
  }
  return undefined;
}

/** The reports in TruffleHog's JSON lines; a line that is not a finding is an error naming its number (never its text). */
async function* truffleHogReports(input: NodeJS.ReadableStream): AsyncGenerator<{ line: number; report: LeakReport; detector: string }> {
  let line = 0;
  for await (const text of createInterface({ input, crlfDelay: Infinity })) {
    line += 1;
    if (text.trim() === '') continue;
    let finding: TruffleHogFinding;
    try {
      finding = JSON.parse(text) as TruffleHogFinding;
    } catch {
      throw new RotadError('USAGE_INVALID', `leaks ingest: line ${line} of stdin is not JSON; expected TruffleHog's output (trufflehog … --json)`);
    }
    const raw = typeof finding.Raw === 'string' && finding.Raw !== '' ? finding.Raw : typeof finding.RawV2 === 'string' ? finding.RawV2 : undefined;
    if (raw === undefined || raw === '')
      throw new RotadError('USAGE_INVALID', `leaks ingest: line ${line} has no Raw field; expected TruffleHog's output (trufflehog … --json)`);
    registerSecretValue(raw);
    yield {
      line,
      detector: typeof finding.DetectorName === 'string' ? finding.DetectorName : 'unknown detector',
      report: { value: new Secret(raw), source: 'trufflehog', url: locationOf(finding) },
    };
  }
}

function printOutcome(line: number, detector: string, outcome: LeakOutcome): void {
  out.line(`finding ${line} (${detector}, fingerprint ${outcome.fingerprint}): ${outcome.message}`);
}

/**
 * `trufflehog … --json | rotad leaks ingest`: every finding is matched against the policies'
 * credentials by keyed fingerprint (the daemon's key, in its state directory), and a match starts an
 * incident rotation (or, with --server, the daemon does all of it). Exit 0 when every finding was
 * handled, matched or not.
 */
export async function leaksIngestCommand(path: string, input: NodeJS.ReadableStream, logger: Logger, remote?: RemoteDaemon): Promise<number> {
  if (remote) {
    for await (const { line, detector, report } of truffleHogReports(input)) {
      const body = { value: report.value!.reveal(), source: report.source, ...(report.url && { url: report.url }) };
      printOutcome(line, detector, (await callDaemon(remote, 'POST', '/v1/leaks', body)) as LeakOutcome);
    }
    return 0;
  }
  const config = await loadForCommand(path, false, 'store');
  if (!config) return 2;
  const audit = await AuditTrail.open(logger, config.daemon.stateDir, config.daemon.auditFile);
  const runtime = openRuntime(config, logger, audit);
  const touched = new Set<string>();
  try {
    for await (const { line, detector, report } of truffleHogReports(input)) {
      const outcome = await handleLeak([...runtime.policies.values()], (value) => audit.fingerprint(value), report, Date.now());
      for (const policy of auditLeak(audit, report, outcome)) touched.add(policy);
      printOutcome(line, detector, outcome);
    }
  } finally {
    await runtime.close();
    await audit.flush();
  }
  if (touched.size > 0) {
    const woken = await wakeDaemon(config.daemon.stateDir, Date.now(), 'the incident rotations start');
    out.line(woken.notified ? `${woken.message}; follow them with rotad status --selector or rotad status` : woken.message);
  }
  return 0;
}
