import { escapeHtml } from './html.js';
import type { PersonRequest } from '../providers/types.js';

function layout(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${escapeHtml(title)} · rotad</title>
<link rel="stylesheet" href="/handover/assets/page.css">
</head>
<body>
<main>
${body}
</main>
</body>
</html>
`;
}

/**
 * What a link opens, the same for every link whatever its id: no policy, request or deadline is in
 * it, so neither an id seen in a proxy log nor a guessed one tells anything. The page's script
 * sends the fragment's secret to `POST /handover/<id>/request` and fills the request in only when
 * the secret checks out; then the password field takes the token.
 */
export function linkPage(): string {
  return layout(
    'Hand-over',
    `<h1 id="title">Opening the hand-over request…</h1>
<section id="request" hidden>
<p class="summary" id="summary"></p>
<dl>
<dt>Sign in as</dt><dd id="account"></dd>
<dt>Where</dt><dd id="where"></dd>
<dt>Please act by</dt><dd><time id="deadline"></time></dd>
</dl>
<ol id="steps"></ol>
<p class="warning" id="warning" hidden></p>
<form id="handover" autocomplete="off" novalidate>
<label for="token">Paste the new token</label>
<input id="token" type="password" autocomplete="off" autocapitalize="off" spellcheck="false" required>
<button type="submit">Hand it over</button>
</form>
<p class="fine" id="fine"></p>
</section>
<p id="status" role="status" tabindex="-1" hidden></p>
<noscript><p class="refused">This page needs JavaScript (the link's secret never leaves your browser otherwise). Use rotad submit instead.</p></noscript>
<script src="/handover/assets/page.js"></script>`,
  );
}

/** The request a link stands for, sent to the page once the link's secret checks out (never holds a secret). */
export function requestView(view: { policy: string; request: PersonRequest; deadline: number; expiresAt: number }): Record<string, unknown> {
  const { request } = view;
  return {
    policy: view.policy,
    summary: request.summary,
    account: request.account,
    url: request.url,
    steps: request.steps,
    warning: request.warning,
    deadline: new Date(view.deadline).toISOString(),
    expiresAt: new Date(view.expiresAt).toISOString(),
  };
}

/**
 * The page's script: takes the secret from the fragment (never sent in a URL), asks for the request
 * with it, fills it in as text, then posts the secret with the token and shows the outcome.
 */
export const PAGE_SCRIPT = `'use strict';
(function () {
  var byId = function (id) { return document.getElementById(id); };
  var section = byId('request');
  var form = byId('handover');
  if (!form) return;
  var status = byId('status');
  var input = byId('token');
  var button = form.querySelector('button');
  var key = 'rotad-handover:' + location.pathname;
  var secret = location.hash.slice(1);
  if (secret) {
    // Kept for this tab only, and taken out of the address bar and the history entry.
    sessionStorage.setItem(key, secret);
    history.replaceState(null, '', location.pathname);
  } else {
    secret = sessionStorage.getItem(key) || '';
  }
  function show(kind, text) {
    status.className = kind;
    status.textContent = text;
    status.hidden = false;
    status.focus();
  }
  function finish() {
    sessionStorage.removeItem(key);
    form.hidden = true;
  }
  function refuseLink(text) {
    byId('title').textContent = 'This hand-over link cannot be used';
    section.remove();
    sessionStorage.removeItem(key);
    show('refused', text);
  }
  function post(path, body) {
    return fetch(path, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      credentials: 'omit',
      cache: 'no-store',
      referrerPolicy: 'no-referrer'
    }).then(function (answer) {
      return answer.json().then(function (b) { return { ok: answer.ok, status: answer.status, body: b }; });
    });
  }
  // A moment in the reader's own time zone, named, with UTC beside: "Mon, 7 Dec 2026, 14:30 CET (13:30 UTC)".
  function localTime(iso) {
    var date = new Date(iso);
    var local = date.toLocaleString('en-GB', { weekday: 'short', day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZoneName: 'short' });
    return /UTC$/.test(local) ? local : local + ' (' + date.toISOString().slice(11, 16) + ' UTC)';
  }
  function fill(view) {
    byId('title').textContent = 'A new token for ' + view.policy;
    byId('summary').textContent = view.summary;
    byId('account').textContent = view.account;
    var where = byId('where');
    if (String(view.url).indexOf('https://') === 0) {
      var a = document.createElement('a');
      a.href = view.url; a.rel = 'noreferrer noopener'; a.target = '_blank'; a.textContent = view.url;
      where.appendChild(a);
    } else { where.textContent = view.url; }
    var deadline = byId('deadline');
    deadline.dateTime = view.deadline;
    deadline.textContent = localTime(view.deadline);
    view.steps.forEach(function (step) { var li = document.createElement('li'); li.textContent = step; byId('steps').appendChild(li); });
    if (view.warning) { var w = byId('warning'); w.textContent = 'Warning: ' + view.warning; w.hidden = false; }
    byId('fine').textContent = 'rotad checks the token with the provider before it uses it; a wrong one is refused with the reason and this page stays usable. The token is never shown, logged or stored in your browser. This link works once, until ' + localTime(view.expiresAt) + '.';
    section.hidden = false;
  }
  if (!secret) {
    refuseLink('This link is incomplete: open it exactly as it was sent, including the part after #.');
    return;
  }
  post(location.pathname + '/request', { secret: secret }).then(function (r) {
    if (r.ok) fill(r.body); else refuseLink(String(r.body.message));
  }, function () {
    refuseLink('rotad could not be reached; reload the page in a minute.');
  });
  form.addEventListener('submit', function (event) {
    event.preventDefault();
    var token = input.value.trim();
    if (!token) { show('refused', 'Paste the token first.'); return; }
    button.disabled = true;
    show('working', 'Checking the token with the provider…');
    post(location.pathname, { secret: secret, token: token }).then(function (r) {
      input.value = '';
      if (r.ok && r.body.accepted) {
        finish();
        show('accepted', r.body.message);
        byId('fine').textContent = 'This link is now used up. You can close this page: rotad takes it from here, and tells you if anything else is needed (such as deleting the old token).';
        return;
      }
      var tries = r.body.triesLeft;
      var left = typeof tries === 'number' && tries > 0 ? (tries === 1 ? '\\nYou can try once more with this link.' : '\\nYou can try ' + tries + ' more times with this link.') : '';
      var reason = String(r.body.message);
      show('refused', 'Refused: ' + reason + (/[.!?]$/.test(reason) ? '' : '.') + left);
      if (r.status === 410 || r.body.triesLeft === 0) finish(); else button.disabled = false;
    }, function () {
      button.disabled = false;
      show('refused', 'rotad could not be reached; nothing was handed over. Try again.');
    });
  });
})();
`;

export const PAGE_STYLE = `body{font:16px/1.5 system-ui,sans-serif;margin:0;background:#f6f7f9;color:#1b1f24}
main{max-width:40rem;margin:2rem auto;padding:1.5rem 2rem;background:#fff;border-radius:8px;box-shadow:0 1px 3px rgba(0,0,0,.12)}
h1{font-size:1.35rem}dt{font-weight:600}dd{margin:0 0 .5rem}
label{display:block;font-weight:600;margin-top:1rem}
input{width:100%;box-sizing:border-box;font:inherit;padding:.5rem;margin:.25rem 0 .75rem;border:1px solid #8a94a0;border-radius:4px}
button{font:inherit;padding:.5rem 1.25rem;border:0;border-radius:4px;background:#1f5fbf;color:#fff;cursor:pointer}
button[disabled]{background:#8a94a0}
.warning{background:#fff4d6;padding:.5rem .75rem;border-radius:4px}
#status{padding:.75rem;border-radius:4px;margin-top:1rem;white-space:pre-line}
.accepted{background:#e3f5e6;color:#175c2b}.refused{background:#fde7e7;color:#8a1c1c}.working{background:#eef2f8}
.fine{font-size:.85rem;color:#56606b}
`;
