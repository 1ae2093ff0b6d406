import type { ResolvedConfig } from '../config/normalize.js';
import { RotadError } from '../errors.js';
import type { PolicyRuntime } from '../rotation/context.js';
import { mapLimited } from '../map-limited.js';
import { recordIncident, recordRequest } from './update-state.js';

/** A request for a suspended policy: refused, with what to do. */
export function suspendedError(names: readonly string[], configPath: string): RotadError {
  return new RotadError(
    'POLICY_SUSPENDED',
    `${names.join(', ')} ${names.length === 1 ? 'is' : 'are'} suspended (suspend: true in ${configPath}): no rotation starts or goes on; remove suspend (the daemon reloads the file by itself), then ask again`,
  );
}

/** Why an incident rotation is asked for, and by whom (`cli`, `api:<token>`, `leak:<source>`). */
export interface IncidentRequest {
  reason: string;
  actor: string;
}

/** One policy's answer to a request: recorded or not (suspended), and whether a rotation already runs (it is finished, then one more follows an incident). */
export interface RequestOutcome {
  policy: string;
  requested: boolean;
  /** The phase of a rotation already in progress. */
  inProgress?: string | undefined;
}

/**
 * Records a rotation request in each policy's state, where it survives a restart and every replica
 * sees it. Named suspended policies are refused before anything is written; with `all` or a
 * selector, suspended ones are skipped and reported. With `incident`, the request is an incident's
 * (see Incident in policy-state.ts). `actor` (`cli`, `api:<token name>`) is who asked, for the
 * history; an incident names its own. The caller wakes the daemon.
 */
export async function requestRotations(
  config: ResolvedConfig,
  policies: readonly PolicyRuntime[],
  named: boolean,
  now: number,
  incident?: IncidentRequest,
  actor = 'cli',
): Promise<RequestOutcome[]> {
  const suspended = new Set(policies.filter((p) => p.settings.suspended).map((p) => p.name));
  const refused = named ? policies.filter((p) => suspended.has(p.name)).map((p) => p.name) : [];
  if (refused.length > 0) throw suspendedError(refused, config.path);
  return mapLimited(policies, REQUEST_CONCURRENCY, async (policy): Promise<RequestOutcome> => {
    if (suspended.has(policy.name)) return { policy: policy.name, requested: false };
    if (incident === undefined) {
      await recordRequest(policy, now, actor);
      return { policy: policy.name, requested: true };
    }
    const state = await recordIncident(policy, { ...incident, at: now });
    const running = state.phase !== 'idle' && state.incident?.rotationId !== state.rotationId;
    return { policy: policy.name, requested: true, ...(running && { inProgress: state.phase }) };
  });
}

/** Requests written at once: an incident over a fleet is recorded in seconds, not one store round trip after another. */
const REQUEST_CONCURRENCY = 32;
