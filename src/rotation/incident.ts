import type { Incident, PolicyState } from '../policy-state.js';
import type { PolicyRuntime } from './context.js';

/**
 * What an incident changes in a rotation (docs/incidents.md): no ask hours, the incident grace
 * instead of the grace, requests to a person urgent and escalated at once, and every message and
 * audit event carrying the reason and who asked.
 */

/** The first line of every message of an incident rotation. */
function incidentLine(incident: Pick<Incident, 'reason' | 'actor'>): string {
  return `URGENT, incident: ${incident.reason} (asked by ${incident.actor})`;
}

/** The wait between the last consumer's confirmation and revoke. */
export function graceMsOf(runtime: PolicyRuntime, state: PolicyState): number {
  return state.incident ? Math.min(runtime.settings.incidentGraceMs, runtime.settings.graceMs) : runtime.settings.graceMs;
}

/** `notify` with the incident (read when each event goes out: one may arrive mid-rotation) on every event. */
export function withIncident(notify: PolicyRuntime['notify'], incidentNow: () => Incident | undefined): PolicyRuntime['notify'] {
  return (event) => {
    const incident = incidentNow();
    if (!incident) return notify(event);
    return notify({ ...event, incident: { reason: incident.reason, actor: incident.actor }, message: `${incidentLine(incident)}\n${event.message}` });
  };
}

/**
 * The incident fields once rotation `rotationId` completes: an incident it served is done (`served`
 * names it, for the history); one that arrived while it ran asks for one more rotation (the leaked
 * value may be the one this rotation made).
 */
export function incidentAfter(
  state: PolicyState,
  rotationId: string,
  now: number,
): { patch: Pick<PolicyState, 'incident' | 'requestedAt'>; served?: string | undefined } {
  const { incident } = state;
  if (incident === undefined) return { patch: { incident: undefined, requestedAt: undefined } };
  if (incident.rotationId === rotationId) return { patch: { incident: undefined, requestedAt: undefined }, served: incident.reason };
  return { patch: { incident, requestedAt: now } };
}
