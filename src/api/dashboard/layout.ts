import { formatDuration } from '../../duration.js';
import type { FleetState } from '../../control/fleet-view.js';
import { escapeHtml } from '../html.js';
import type { Session } from './sessions.js';

export { escapeHtml as esc };

/** Words a person reads for each state (the counts, the badges, the filter). */
export const STATE_WORDS: Record<FleetState, string> = {
  ok: 'OK',
  rotating: 'Rotating',
  waiting: 'Waiting for a person',
  attention: 'Needs attention',
  overdue: 'Overdue',
  suspended: 'Suspended',
  unknown: 'Store not readable',
};

export const badge = (state: FleetState): string => `<span class="badge badge-${state}">${STATE_WORDS[state]}</span>`;

/** An ISO time as people read it (to the minute, UTC), machine-readable in `datetime`. */
export function when(iso: string | undefined, none = '—'): string {
  if (iso === undefined) return none;
  return `<time datetime="${escapeHtml(iso)}">${escapeHtml(iso.slice(0, 16).replace('T', ' '))} UTC</time>`;
}

export const age = (ms: number | undefined): string => (ms === undefined ? '—' : escapeHtml(formatDuration(ms)));

/** A form that POSTs with the session's form secret (checked with the Origin header and SameSite=Strict). */
export function postForm(action: string, session: Session, inner: string, className = ''): string {
  return `<form method="post" action="${escapeHtml(action)}"${className ? ` class="${className}"` : ''}>
<input type="hidden" name="formSecret" value="${escapeHtml(session.formSecret)}">
${inner}
</form>`;
}

/** The frame of every dashboard page: the navigation and who is signed in (with sign-out), or nothing before sign-in. */
export function page(title: string, body: string, session?: Session): string {
  const nav = session
    ? `<header class="top">
<a class="brand" href="/ui/">rotad</a>
<nav aria-label="Dashboard"><a href="/ui/">Fleet</a> <a href="/ui/timeline">Timeline</a></nav>
<div class="who">Signed in with the token <strong>${escapeHtml(session.tokenName)}</strong> (${escapeHtml(session.scopes.join(', '))})
${postForm('/ui/sign-out', session, '<button type="submit" class="link">Sign out</button>', 'inline')}</div>
</header>`
    : '<header class="top"><span class="brand">rotad</span></header>';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin">
<title>${escapeHtml(title)} · rotad</title>
<link rel="stylesheet" href="/ui/assets/dashboard.css">
</head>
<body>
<a class="skip" href="#content">Skip to content</a>
${nav}
<main id="content">
${body}
</main>
</body>
</html>
`;
}
