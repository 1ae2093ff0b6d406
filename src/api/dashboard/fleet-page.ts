import { FLEET_PAGE_SIZE, FLEET_SORTS, FLEET_STATES, type FleetPage, type FleetQuery, type FleetSort } from '../../control/fleet-view.js';
import { age, badge, esc, page, STATE_WORDS, when } from './layout.js';
import type { Session } from './sessions.js';

const COLUMN_WORDS: Record<FleetSort, string> = { policy: 'Policy', state: 'State', age: 'Credential age', last: 'Last rotation', next: 'Next rotation' };

/** The query string of the fleet page with `change` applied (filters kept, page reset unless given). */
function linkWith(query: FleetQuery, change: Partial<FleetQuery>): string {
  const q = { ...query, page: 1, ...change };
  const params = new URLSearchParams();
  if (q.selector) params.set('selector', q.selector.text);
  if (q.state) params.set('state', q.state);
  if (q.name) params.set('name', q.name);
  if (q.sort !== 'policy') params.set('sort', q.sort);
  if (q.descending) params.set('desc', '1');
  if (q.page > 1) params.set('page', String(q.page));
  const text = params.toString();
  return esc(`/ui/${text ? `?${text}` : ''}`);
}

function sortHeader(query: FleetQuery, column: FleetSort): string {
  const active = query.sort === column;
  const sorted = active ? (query.descending ? 'descending' : 'ascending') : 'none';
  const arrow = active ? (query.descending ? ' ↓' : ' ↑') : '';
  return `<th scope="col" aria-sort="${sorted}"><a href="${linkWith(query, { sort: column, descending: active && !query.descending })}">${COLUMN_WORDS[column]}${arrow}</a></th>`;
}

function nextCell(row: FleetPage['rows'][number]): string {
  if (row.suspended) return 'suspended';
  if (row.nextRotationAt) return `${when(row.nextRotationAt)} <span class="fine">(${esc(row.nextReason ?? '')})</span>`;
  return `<span class="fine">${esc(row.waitsFor ?? 'on request')}</span>`;
}

function waitingCell(row: FleetPage['rows'][number]): string {
  if (row.waitingFor)
    return `${esc(row.waitingFor.account)} to ${row.waitingFor.action} a token, ${row.waitingFor.asked ? 'asked' : 'to be asked'} ${when(row.waitingFor.since)}`;
  if (row.attention) return `<span class="fine">${esc(row.attention.code)} in ${esc(row.attention.phase)}</span>`;
  if (row.error) return `<span class="fine">${esc(row.error)}</span>`;
  return '—';
}

/** The fleet: counts by state on top (each a filter), the filter form, one sortable row per policy, server-side pages. */
export function fleetPageHtml(fleet: FleetPage, query: FleetQuery, session: Session, problem?: string): string {
  const counts = [
    `<li><a href="${linkWith({ ...query, state: undefined }, {})}"${query.state === undefined ? ' aria-current="true"' : ''}><strong>${fleet.counts.total}</strong>All</a></li>`,
    ...FLEET_STATES.filter((s) => s !== 'unknown' || fleet.counts.unknown > 0).map(
      (s) =>
        `<li><a href="${linkWith(query, { state: s })}"${query.state === s ? ' aria-current="true"' : ''}><strong>${fleet.counts[s]}</strong>${STATE_WORDS[s]}</a></li>`,
    ),
  ].join('\n');
  const options = ['', ...FLEET_STATES]
    .map(
      (s) =>
        `<option value="${s}"${(query.state ?? '') === s ? ' selected' : ''}>${s === '' ? 'Any state' : STATE_WORDS[s as keyof typeof STATE_WORDS]}</option>`,
    )
    .join('');
  const first = fleet.matching === 0 ? 0 : (fleet.page - 1) * FLEET_PAGE_SIZE + 1;
  const last = (fleet.page - 1) * FLEET_PAGE_SIZE + fleet.rows.length;
  const rows = fleet.rows
    .map(
      (row) => `<tr>
<th scope="row"><a href="/ui/policies/${encodeURIComponent(row.policy)}">${esc(row.policy)}</a></th>
<td>${badge(row.state)}</td>
<td>${age(row.credentialAgeMs)}</td>
<td>${when(row.lastRotatedAt, 'never')}</td>
<td>${nextCell(row)}</td>
<td>${esc(row.phase)}</td>
<td>${when(row.credentialExpiresAt)}</td>
<td>${waitingCell(row)}</td>
</tr>`,
    )
    .join('\n');
  const pager = `<nav class="pager" aria-label="Pages">
${fleet.page > 1 ? `<a href="${linkWith(query, { page: fleet.page - 1 })}" rel="prev">Previous page</a>` : ''}
<span>Page ${fleet.page} of ${fleet.pages}</span>
${fleet.page < fleet.pages ? `<a href="${linkWith(query, { page: fleet.page + 1 })}" rel="next">Next page</a>` : ''}
</nav>`;
  return page(
    'Fleet',
    `<h1>Fleet</h1>
<ul class="counts" aria-label="Policies by state">
${counts}
</ul>
<form method="get" action="/ui/" class="filters" role="search">
<div><label for="selector">Labels</label><input id="selector" name="selector" value="${esc(query.selector?.text ?? '')}" placeholder="team=support,vendor in (gladly)"></div>
<div><label for="state">State</label><select id="state" name="state">${options}</select></div>
<div><label for="name">Name contains</label><input id="name" name="name" value="${esc(query.name ?? '')}"></div>
${query.sort !== 'policy' ? `<input type="hidden" name="sort" value="${query.sort}">` : ''}${query.descending ? '<input type="hidden" name="desc" value="1">' : ''}
<div><button type="submit">Filter</button> <a href="/ui/">Clear</a></div>
</form>
${problem ? `<p class="error" role="alert">${esc(problem)}</p>` : ''}
<table>
<caption>Policies ${first}–${last} of ${fleet.matching}${fleet.matching !== fleet.counts.total ? ` (of ${fleet.counts.total} in all)` : ''}</caption>
<thead><tr>${FLEET_SORTS.slice(0, 2)
      .map((c) => sortHeader(query, c))
      .join(
        '',
      )}${sortHeader(query, 'age')}${sortHeader(query, 'last')}${sortHeader(query, 'next')}<th scope="col">Phase</th><th scope="col">Expires</th><th scope="col">Waiting for / why</th></tr></thead>
<tbody>
${rows || '<tr><td colspan="8">No policy matches.</td></tr>'}
</tbody>
</table>
${pager}`,
    session,
  );
}
