import type { ResolvedPolicy } from '../../config/normalize.js';
import { historyNotes, type HistoryRow } from '../../control/history.js';
import type { FleetState } from '../../control/fleet-view.js';
import type { PolicyStatus } from '../../control/status.js';
import { formatDuration } from '../../duration.js';
import { age, badge, esc, page, postForm, when } from './layout.js';
import type { Session } from './sessions.js';

/** What a policy page shows: its status now, its settings, its consumers and its history. */
interface PolicyView {
  status: PolicyStatus;
  state: FleetState;
  policy: ResolvedPolicy;
  consumers: ReadonlyArray<{ key: string; label: string }>;
  history: readonly HistoryRow[];
}

function scheduleText(policy: ResolvedPolicy): string {
  const { schedule, maxAgeMs } = policy.timing;
  const base =
    schedule.kind === 'cron'
      ? `cron ${schedule.expression} (${schedule.timezone})`
      : schedule.kind === 'every'
        ? `every ${formatDuration(schedule.intervalMs)}`
        : 'manual (on request)';
  return maxAgeMs === undefined ? base : `${base}; at most ${formatDuration(maxAgeMs)} old`;
}

const fact = (term: string, value: string): string => `<dt>${esc(term)}</dt><dd>${value}</dd>`;

function nowSection(view: PolicyView): string {
  const s = view.status;
  const facts = [
    fact('State', badge(view.state)),
    fact('Phase', esc(s.phase) + (s.rotationId ? ` <span class="fine">(rotation ${esc(s.rotationId)})</span>` : '')),
    fact('Credential age', age(s.credentialAgeMs)),
    fact('Expires', when(s.credentialExpiresAt, 'not reported by the provider')),
    fact('Last rotation', when(s.lastRotatedAt, 'never')),
    fact('Next rotation', s.nextRotationAt ? `${when(s.nextRotationAt)} (${esc(s.nextReason ?? '')})` : esc(s.waitsFor ?? '—')),
  ];
  if (s.incident) facts.push(fact('Incident', `${esc(s.incident.reason)} (asked by ${esc(s.incident.actor)} ${when(s.incident.at)})`));
  if (s.attention) facts.push(fact('Needs attention', `<strong>${esc(s.attention.code)}</strong> in ${esc(s.attention.phase)}: ${esc(s.attention.message)}`));
  if (s.error) facts.push(fact('Store', `cannot be read: ${esc(s.error)}`));
  if (s.heldBy) facts.push(fact('Worked on by', `${esc(s.heldBy.owner)} (lease until ${when(s.heldBy.until)})`));
  if (s.revokeWaitsFor)
    facts.push(
      fact(
        'Old credential revoked after',
        `${s.revokeWaitsFor.consumersConfirmed} of ${s.revokeWaitsFor.consumers} consumers confirmed${s.revokeWaitsFor.graceUntil ? `, then the grace period until ${when(s.revokeWaitsFor.graceUntil)}` : ''}`,
      ),
    );
  let request = '';
  if (s.waitingFor) {
    const w = s.waitingFor;
    request = `<h2>Open request to a person</h2>
<dl class="facts">
${fact('Who', esc(w.account))}
${fact('What', w.action === 'create' ? 'create a new token and hand it over' : 'delete the old token (rotad checks it is gone)')}
${fact(w.asked ? 'Asked' : 'Will be asked', when(w.since))}
${fact('Deadline', when(w.deadline))}
${fact('Reminders sent', String(w.reminders))}
${w.lastRefusal ? fact('Last token refused because', esc(w.lastRefusal)) : ''}
</dl>
<p>${esc(w.summary)}</p>`;
  }
  return `<h2>Now</h2>\n<dl class="facts">\n${facts.join('\n')}\n</dl>\n${request}`;
}

function settingsSection(policy: ResolvedPolicy): string {
  const labels = Object.entries(policy.labels).map(([k, v]) => `${k}=${v}`);
  return `<h2>Settings</h2>
<dl class="facts">
${fact('Provider', esc(policy.provider.type))}
${fact('Store', esc(policy.storeName))}
${fact('Schedule', esc(scheduleText(policy)))}
${fact('Grace before revoke', esc(formatDuration(policy.graceMs)))}
${fact('Notifies', esc(policy.notify.join(', ') || 'none'))}
${fact('Escalates to', esc(policy.escalate.join(', ') || 'none'))}
${fact('Labels', esc(labels.join(', ') || 'none'))}
${policy.suspended ? fact('Suspended', 'yes: no rotation starts or goes on') : ''}
</dl>`;
}

function consumersSection(view: PolicyView): string {
  if (view.consumers.length === 0) return '<h2>Consumers</h2>\n<p>None: applications read the secret from the store.</p>';
  const lastConfirmed = (key: string): string | undefined => view.history.flatMap((h) => h.consumers.filter((c) => c.consumer === key)).at(0)?.at;
  const rows = view.consumers
    .map((c) => `<tr><th scope="row">${esc(c.label)}</th><td>${esc(c.key)}</td><td>${when(lastConfirmed(c.key), 'not yet')}</td></tr>`)
    .join('\n');
  return `<h2>Consumers</h2>
<table><thead><tr><th scope="col">Consumer</th><th scope="col">Key</th><th scope="col">Last confirmed</th></tr></thead><tbody>
${rows}
</tbody></table>`;
}

function historySection(history: readonly HistoryRow[]): string {
  if (history.length === 0) return '<h2>History</h2>\n<p>No rotation has ended yet.</p>';
  const rows = history
    .map(
      (h) => `<tr><td>${when(h.endedAt)}</td><td>${esc(h.outcome)}</td><td>${esc(h.trigger ?? '—')}</td><td>${esc(h.actor ?? '—')}</td>
<td>${h.durationMs === undefined ? '—' : esc(formatDuration(h.durationMs))}</td><td>${esc(h.phases.map((p) => p.phase).join(' → ') || '—')}</td>
<td>${esc(historyNotes(h) || '—')}</td><td class="fine">${esc(h.fingerprints?.new ?? '—')}</td></tr>`,
    )
    .join('\n');
  return `<h2>History</h2>
<table><caption>The last ${history.length} ended rotations, newest first</caption>
<thead><tr><th scope="col">Ended</th><th scope="col">Outcome</th><th scope="col">Trigger</th><th scope="col">Started by</th><th scope="col">Took</th><th scope="col">Phases</th><th scope="col">Notes</th><th scope="col">New credential (fingerprint)</th></tr></thead>
<tbody>
${rows}
</tbody></table>`;
}

/** A policy's page: now, the actions the session may take, settings, consumers and history. Never a credential value. */
export function policyPageHtml(view: PolicyView, session: Session, notice?: string): string {
  const name = view.status.policy;
  const path = `/ui/policies/${encodeURIComponent(name)}`;
  const actions = [
    session.scopes.includes('rotate') ? `<a href="${path}/rotate">Rotate now…</a>` : '',
    session.scopes.includes('rollback') ? `<a href="${path}/rollback">Roll back…</a>` : '',
  ].filter(Boolean);
  return page(
    name,
    `<p class="fine"><a href="/ui/">Fleet</a> › ${esc(name)}</p>
<h1>${esc(name)}</h1>
${notice ? `<p class="notice" role="status">${esc(notice)}</p>` : ''}
${view.policy.description ? `<p>${esc(view.policy.description)}</p>` : ''}
${actions.length > 0 ? `<p class="actions">${actions.join(' ')}</p>` : ''}
${nowSection(view)}
${consumersSection(view)}
${settingsSection(view.policy)}
${historySection(view.history)}`,
    session,
  );
}

const ACTION_WORDS = {
  rotate: {
    title: 'Rotate now',
    explain:
      'rotad starts a rotation of this policy now (or finishes the one in progress first). An assisted provider asks its person at once; the old credential is revoked only after every consumer has the new one and the grace period has passed.',
    button: 'Rotate now',
  },
  rollback: {
    title: 'Roll back',
    explain:
      'Before promote: the rotation in progress is abandoned and its new credential revoked. After promote: the previous credential becomes current again and every consumer gets it; the newer one is retired. Refused when the previous credential was already revoked.',
    button: 'Roll back',
  },
} as const;

/** The confirmation of an action: what it does, and one button (a POST with the session's form secret). */
export function confirmPageHtml(name: string, action: keyof typeof ACTION_WORDS, session: Session): string {
  const words = ACTION_WORDS[action];
  const path = `/ui/policies/${encodeURIComponent(name)}`;
  return page(
    `${words.title}: ${name}`,
    `<p class="fine"><a href="/ui/">Fleet</a> › <a href="${path}">${esc(name)}</a></p>
<h1>${words.title}: ${esc(name)}?</h1>
<p>${esc(words.explain)}</p>
<p>The audit trail records it as <strong>api:${esc(session.tokenName)}</strong>.</p>
${postForm(`${path}/${action}`, session, `<button type="submit"${action === 'rollback' ? ' class="danger"' : ''}>${words.button}</button> <a href="${path}">Cancel</a>`)}`,
    session,
  );
}
