import type { PersonRequest } from '../providers/types.js';

const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

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

/** The page a one-time link opens: what to do (as in the message), and a password field for the token. */
export function requestPage(view: { linkId: string; policy: string; request: PersonRequest; deadline: number; expiresAt: number }): string {
  const { request } = view;
  const steps = request.steps.map((step) => `<li>${escapeHtml(step)}</li>`).join('\n');
  const safeUrl = /^https:\/\//.test(request.url)
    ? `<a href="${escapeHtml(request.url)}" rel="noreferrer noopener" target="_blank">${escapeHtml(request.url)}</a>`
    : escapeHtml(request.url);
  return layout(
    `New token for ${view.policy}`,
    `<h1>A new token for <code>${escapeHtml(view.policy)}</code></h1>
<p class="summary">${escapeHtml(request.summary)}</p>
<dl>
<dt>Sign in as</dt><dd>${escapeHtml(request.account)}</dd>
<dt>Where</dt><dd>${safeUrl}</dd>
<dt>Please act by</dt><dd><time datetime="${new Date(view.deadline).toISOString()}">${new Date(view.deadline).toUTCString()}</time></dd>
</dl>
<ol>
${steps}
</ol>
${request.warning ? `<p class="warning"><strong>Warning:</strong> ${escapeHtml(request.warning)}</p>` : ''}
<form id="handover" data-link="${escapeHtml(view.linkId)}" autocomplete="off" novalidate>
<label for="token">Paste the new token</label>
<input id="token" type="password" autocomplete="off" autocapitalize="off" spellcheck="false" required>
<button type="submit">Hand it over</button>
</form>
<p id="status" role="status" tabindex="-1" hidden></p>
<p class="fine">rotad checks the token with the provider before it uses it; a wrong one is refused with the reason and this page stays usable. The token is never shown, logged or stored in your browser. This link works once, until ${escapeHtml(new Date(view.expiresAt).toUTCString())}.</p>
<noscript><p class="refused">This page needs JavaScript to send the token (the link's secret never leaves your browser otherwise). Use rotad submit ${escapeHtml(view.policy)} instead.</p></noscript>
<script src="/handover/assets/page.js"></script>`,
  );
}

/** What a link rotad does not honour (used, expired, unknown) opens: why, and what to do instead. */
export function refusedPage(reason: string): string {
  return layout(
    'Link not valid',
    `<h1>This hand-over link cannot be used</h1>
<p class="refused">${escapeHtml(reason)}</p>`,
  );
}

/** The page's script: takes the secret from the fragment (never sent in a URL), posts it with the token, shows the outcome. */
export const PAGE_SCRIPT = `'use strict';
(function () {
  var form = document.getElementById('handover');
  if (!form) return;
  var status = document.getElementById('status');
  var input = document.getElementById('token');
  var button = form.querySelector('button');
  var key = 'rotad-handover:' + form.getAttribute('data-link');
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
  if (!secret) {
    button.disabled = true;
    show('refused', 'This link is incomplete: open it exactly as it was sent, including the part after #.');
    return;
  }
  form.addEventListener('submit', function (event) {
    event.preventDefault();
    var token = input.value.trim();
    if (!token) { show('refused', 'Paste the token first.'); return; }
    button.disabled = true;
    show('working', 'Checking the token with the provider…');
    fetch(location.pathname, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ secret: secret, token: token }),
      credentials: 'omit',
      cache: 'no-store',
      referrerPolicy: 'no-referrer'
    }).then(function (answer) {
      return answer.json().then(function (body) { return { ok: answer.ok, status: answer.status, body: body }; });
    }).then(function (r) {
      input.value = '';
      if (r.ok && r.body.accepted) { finish(); show('accepted', r.body.message); return; }
      var left = typeof r.body.triesLeft === 'number' && r.body.triesLeft > 0 ? ' You can try ' + r.body.triesLeft + ' more time(s) with this link.' : '';
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
#status{padding:.75rem;border-radius:4px;margin-top:1rem}
.accepted{background:#e3f5e6;color:#175c2b}.refused{background:#fde7e7;color:#8a1c1c}.working{background:#eef2f8}
.fine{font-size:.85rem;color:#56606b}
`;
