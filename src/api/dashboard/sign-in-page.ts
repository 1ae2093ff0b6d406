import { esc, page } from './layout.js';

/** The sign-in form: an API token of scope `read`, exchanged for a session cookie (the token is not kept in the browser). */
export function signInPage(message?: { kind: 'error' | 'notice'; text: string }): string {
  const shown = message ? `<p class="${message.kind}" role="${message.kind === 'error' ? 'alert' : 'status'}">${esc(message.text)}</p>` : '';
  return page(
    'Sign in',
    `<h1>Sign in to the rotad dashboard</h1>
${shown}
<form method="post" action="/ui/sign-in" class="signin" autocomplete="off">
<p><label for="token">API token (one of daemon.api.tokens, with the scope read)</label>
<input id="token" name="token" type="password" autocomplete="off" autocapitalize="off" spellcheck="false" required size="50"></p>
<p><button type="submit">Sign in</button></p>
</form>
<p class="fine">The token is checked once and not kept: the browser gets a session cookie (HttpOnly, SameSite=Strict) that lasts until you sign out or it expires.
Rotate and roll back appear only for tokens with those scopes.</p>`,
  );
}
