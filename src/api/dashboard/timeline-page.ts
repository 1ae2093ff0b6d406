import { TIMELINE_DAYS, type TimelineDay } from '../../control/timeline.js';
import { esc, page } from './layout.js';
import type { Session } from './sessions.js';

/** The series drawn, in stacking order, with colours of at least 3:1 against the white background. */
const SERIES = [
  { key: 'succeeded', words: 'Rotations completed', colour: '#1a7f37' },
  { key: 'rolledBack', words: 'Rolled back or aborted', colour: '#9a6700' },
  { key: 'stopped', words: 'Stops that needed attention', colour: '#cf222e' },
  { key: 'scheduled', words: 'Rotations scheduled', colour: '#0969da' },
  { key: 'expiring', words: 'Credentials expiring', colour: '#8250df' },
] as const satisfies ReadonlyArray<{ key: keyof TimelineDay; words: string; colour: string }>;

const DAY_WIDTH = 5;
const CHART_HEIGHT = 160;
const LEFT = 34;
const TOP = 10;

const countOf = (day: TimelineDay): number => SERIES.reduce((sum, s) => sum + day[s.key], 0);

/** The 181 days as one SVG bar chart drawn on the server: the past left of today's line, the plans right of it. */
function chart(days: readonly TimelineDay[]): string {
  const max = Math.max(1, ...days.map(countOf));
  const scale = CHART_HEIGHT / max;
  const bars: string[] = [];
  const ticks: string[] = [];
  days.forEach((day, i) => {
    const x = LEFT + i * DAY_WIDTH;
    let y = TOP + CHART_HEIGHT;
    const parts: string[] = [];
    for (const s of SERIES) {
      const n = day[s.key];
      if (n === 0) continue;
      const h = Math.max(1, n * scale);
      y -= h;
      bars.push(`<rect x="${x}" y="${y.toFixed(1)}" width="${DAY_WIDTH - 1}" height="${h.toFixed(1)}" fill="${s.colour}"></rect>`);
      parts.push(`${n} ${s.words.toLowerCase()}`);
    }
    if (parts.length > 0)
      bars.push(
        `<rect x="${x}" y="${TOP}" width="${DAY_WIDTH}" height="${CHART_HEIGHT}" fill="transparent"><title>${day.day}: ${parts.join(', ')}</title></rect>`,
      );
    if (day.day.endsWith('-01'))
      ticks.push(
        `<line x1="${x}" x2="${x}" y1="${TOP + CHART_HEIGHT}" y2="${TOP + CHART_HEIGHT + 4}" stroke="#424a53"></line><text x="${x}" y="${TOP + CHART_HEIGHT + 16}">${day.day.slice(0, 7)}</text>`,
      );
  });
  const today = LEFT + TIMELINE_DAYS * DAY_WIDTH;
  const width = LEFT + days.length * DAY_WIDTH + 40;
  return `<svg role="img" aria-labelledby="timeline-title timeline-desc" width="${width}" height="${TOP + CHART_HEIGHT + 24}" viewBox="0 0 ${width} ${TOP + CHART_HEIGHT + 24}">
<title id="timeline-title">Rotations over the last and the next ${TIMELINE_DAYS} days</title>
<desc id="timeline-desc">One bar per day, stacked by kind; today is the dashed line. The table below has the same figures by week.</desc>
<line x1="${LEFT}" x2="${width - 40}" y1="${TOP + CHART_HEIGHT}" y2="${TOP + CHART_HEIGHT}" stroke="#424a53"></line>
<text x="0" y="${TOP + 8}">${max}</text><text x="0" y="${TOP + CHART_HEIGHT}">0</text>
${bars.join('\n')}
${ticks.join('\n')}
<line x1="${today}" x2="${today}" y1="${TOP - 6}" y2="${TOP + CHART_HEIGHT + 4}" stroke="#1f2328" stroke-dasharray="3 2"></line>
<text x="${today + 3}" y="${TOP}">today</text>
</svg>`;
}

function legend(): string {
  return `<ul class="counts" aria-label="Legend">${SERIES.map(
    (s) => `<li><svg width="12" height="12" aria-hidden="true"><rect width="12" height="12" fill="${s.colour}"></rect></svg> ${s.words}</li>`,
  ).join('')}</ul>`;
}

/** The same figures by week, for reading and for screen readers. */
function weeks(days: readonly TimelineDay[]): string {
  const rows: string[] = [];
  for (let i = 0; i < days.length; i += 7) {
    const week = days.slice(i, i + 7);
    const sum = (key: (typeof SERIES)[number]['key']): number => week.reduce((n, d) => n + d[key], 0);
    rows.push(`<tr><th scope="row">${week[0]!.day}</th>${SERIES.map((s) => `<td>${sum(s.key)}</td>`).join('')}</tr>`);
  }
  return `<table><caption>By week (from the day shown)</caption>
<thead><tr><th scope="col">Week of</th>${SERIES.map((s) => `<th scope="col">${s.words}</th>`).join('')}</tr></thead>
<tbody>
${rows.join('\n')}
</tbody></table>`;
}

export function timelinePageHtml(days: readonly TimelineDay[], selector: string | undefined, session: Session, problem?: string): string {
  return page(
    'Timeline',
    `<h1>Timeline</h1>
<form method="get" action="/ui/timeline" class="filters" role="search">
<div><label for="selector">Labels</label><input id="selector" name="selector" value="${esc(selector ?? '')}" placeholder="team=support"></div>
<div><button type="submit">Show</button> <a href="/ui/timeline">All policies</a></div>
</form>
${problem ? `<p class="error" role="alert">${esc(problem)}</p>` : ''}
<p class="fine">The past comes from the last ended rotations each policy's state keeps; the future assumes every rotation happens on time.</p>
${legend()}
<div class="chart">${chart(days)}</div>
${weeks(days)}`,
    session,
  );
}
