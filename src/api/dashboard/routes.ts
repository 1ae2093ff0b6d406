import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { ApiScope } from '../../config/api-options.js';
import type { ResolvedApi } from '../../config/normalize.js';
import type { PolicyState } from '../../policy-state.js';
import { FLEET_SORTS, FLEET_STATES, fleetPage, fleetStateOf, type FleetQuery } from '../../control/fleet-view.js';
import { policyHistory } from '../../control/history.js';
import { selectPolicies } from '../../control/select.js';
import { policyStatuses } from '../../control/status.js';
import { fleetTimeline } from '../../control/timeline.js';
import { durationMs } from '../../duration-text.js';
import { describeError, RotadError } from '../../errors.js';
import { parseSelector } from '../../labels.js';
import type { ControlPort } from '../control-port.js';
import { requestPolicyRotation, rollbackFromApi } from '../policy-actions.js';
import { httpStatusOf } from '../http-errors.js';
import { authenticate, type loadApiTokens } from '../tokens.js';
import { esc, page } from './layout.js';
import { confirmPageHtml, policyPageHtml } from './policy-page.js';
import { fleetPageHtml } from './fleet-page.js';
import { formSecretMatches, Sessions, type Session } from './sessions.js';
import { signInPage } from './sign-in-page.js';
import { DASHBOARD_STYLE } from './style.js';
import { timelinePageHtml } from './timeline-page.js';

const COOKIE = 'rotad_session';
/** The dashboard's pages load only the stylesheet; forms post to the dashboard itself; no script at all. */
const PAGE_CSP = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
/** Form bodies are small: a token, or a form secret. */
const FORM_LIMIT_BYTES = 8 * 1024;

const FleetQueryText = z.strictObject({
  selector: z.string().max(1000).optional(),
  state: z.enum(['', ...FLEET_STATES]).optional(),
  name: z.string().max(200).optional(),
  sort: z.enum(FLEET_SORTS).default('policy'),
  desc: z.literal('1').optional(),
  page: z.coerce.number().int().min(1).max(100_000).default(1),
});
const SelectorQuery = z.strictObject({ selector: z.string().max(1000).optional() });
const PolicyQuery = z.strictObject({ done: z.enum(['rotate', 'rollback']).optional() });
const ACTION_SCOPES = { rotate: 'rotate', rollback: 'rollback' } as const satisfies Record<string, ApiScope>;

class PageError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function cookieOf(request: FastifyRequest): string | undefined {
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === COOKIE) return value.join('=');
  }
  return undefined;
}

/**
 * A cross-site POST is refused: the cookie is SameSite=Strict, every form carries the session's
 * form secret, and a browser's Origin (or Sec-Fetch-Site) must name this site: the host the request
 * came to (behind trusted proxies, the one they forwarded), or daemon.api.publicUrl's.
 */
function sameSite(request: FastifyRequest, publicUrl: string | undefined): boolean {
  const fetchSite = request.headers['sec-fetch-site'];
  if (fetchSite !== undefined && fetchSite !== 'same-origin') return false;
  const origin = request.headers.origin;
  if (origin === undefined) return true;
  try {
    const host = new URL(origin).host;
    return host === request.host || (publicUrl !== undefined && host === new URL(publicUrl).host);
  } catch {
    return false;
  }
}

/**
 * The dashboard at /ui/ (docs/api.md, "Dashboard"): sign-in with an API token of scope read
 * exchanged for a session cookie, the fleet, a policy's page, the timeline, and rotate and roll back
 * behind a confirmation for tokens with those scopes. Pages are drawn on the server; they carry no
 * script and never a credential value.
 */
export function registerDashboard(app: FastifyInstance, api: ResolvedApi, tokens: ReturnType<typeof loadApiTokens>, control: ControlPort): void {
  const sessions = new Sessions(durationMs(api.dashboard.session));
  const secure = api.tls !== undefined || api.publicUrl?.startsWith('https://') === true;
  const cookie = (value: string, maxAgeS: number): string =>
    `${COOKIE}=${value}; Path=/ui; HttpOnly; SameSite=Strict; Max-Age=${maxAgeS}${secure ? '; Secure' : ''}`;

  void app.register(async (ui) => {
    ui.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: FORM_LIMIT_BYTES }, (_request, body, done) =>
      done(null, Object.fromEntries(new URLSearchParams(body as string))),
    );
    ui.addHook('onSend', async (request, reply, payload) => {
      if (request.url.startsWith('/ui/') && !request.url.startsWith('/ui/assets/')) {
        reply.header('content-security-policy', PAGE_CSP);
        // Same-origin requests carry their Origin (checked on every POST); nothing goes to other sites.
        reply.header('referrer-policy', 'same-origin');
      }
      return payload;
    });
    ui.setErrorHandler((error, _request, reply) => {
      // The framework's own refusals (the rate limit, a body too large) keep their status.
      const framework = (error as { statusCode?: number }).statusCode;
      const refused = framework !== undefined && framework >= 400 && framework < 500 ? framework : undefined;
      const status = error instanceof PageError ? error.status : error instanceof RotadError ? httpStatusOf(error.code) : (refused ?? 500);
      const message =
        error instanceof PageError
          ? error.message
          : refused === 429
            ? 'Too many requests from this address: wait a minute (daemon.api.requestsPerMinute).'
            : refused !== undefined
              ? 'The request was refused (too large or malformed).'
              : describeError(error).message;
      if (status === 500) control.logger.error({ error: describeError(error) }, 'Dashboard request failed');
      return reply
        .code(status)
        .type('text/html; charset=utf-8')
        .send(page('Problem', `<h1>That did not work</h1>\n<p class="error" role="alert">${esc(message)}</p>\n<p><a href="/ui/">Back to the fleet</a></p>`));
    });

    const html = (reply: FastifyReply, body: string, status = 200): FastifyReply => reply.code(status).type('text/html; charset=utf-8').send(body);
    /** The session of a page request; none sends the browser to sign in. */
    const sessionFor = (request: FastifyRequest): Session | undefined => sessions.get(cookieOf(request), Date.now());
    const signedIn = (request: FastifyRequest): Session => {
      const session = sessionFor(request);
      if (!session) throw new PageError(401, 'You are not signed in (or the session ended). Sign in again at /ui/sign-in.');
      return session;
    };
    /** A POST of the dashboard: signed in, from this site, with the session's form secret, and (for an action) the scope. */
    const checkedPost = (request: FastifyRequest, scope?: ApiScope): Session => {
      const session = signedIn(request);
      const body = (request.body ?? {}) as Record<string, unknown>;
      if (!sameSite(request, api.publicUrl) || !formSecretMatches(session, body.formSecret))
        throw new PageError(
          403,
          'This form did not come from this dashboard (a cross-site request, or an old page): nothing was done. Reload the page and try again.',
        );
      if (scope !== undefined && !session.scopes.includes(scope))
        throw new PageError(403, `The token ${session.tokenName} lacks the scope ${scope}: nothing was done.`);
      return session;
    };
    const policyNamed = (request: FastifyRequest) => {
      const { name } = request.params as { name: string };
      const policy = control.runtime().policies.get(name);
      if (!policy) throw new PageError(404, `No policy is named '${name}'.`);
      return policy;
    };

    ui.get('/ui/assets/dashboard.css', async (_request, reply) => reply.type('text/css; charset=utf-8').send(DASHBOARD_STYLE));
    ui.get('/ui', async (_request, reply) => reply.redirect('/ui/', 303));

    // Shown signed in too: signing in with another token replaces the session.
    ui.get('/ui/sign-in', async (request, reply) => {
      const { out } = request.query as { out?: string };
      return html(reply, signInPage(out === '1' ? { kind: 'notice', text: 'Signed out.' } : undefined));
    });

    ui.post('/ui/sign-in', async (request, reply) => {
      if (!sameSite(request, api.publicUrl)) throw new PageError(403, 'A sign-in from another site is refused.');
      const { token } = (request.body ?? {}) as { token?: unknown };
      const caller = typeof token === 'string' ? authenticate(tokens, `Bearer ${token.trim()}`) : undefined;
      if (!caller) {
        control.audit.record({ policy: '-', phase: 'dashboard', outcome: 'refused', actor: 'dashboard', code: 'API_UNAUTHORIZED' });
        return html(reply, signInPage({ kind: 'error', text: 'That token is not one of daemon.api.tokens.' }), 401);
      }
      if (!caller.scopes.includes('read'))
        return html(reply, signInPage({ kind: 'error', text: `The token ${caller.name} lacks the scope read, which the dashboard needs.` }), 403);
      sessions.close(cookieOf(request));
      const { id } = sessions.open(caller.name, caller.scopes, Date.now());
      control.audit.record({ policy: '-', phase: 'dashboard', outcome: 'signed-in', actor: `api:${caller.name}` });
      return reply.header('set-cookie', cookie(id, Math.floor(durationMs(api.dashboard.session) / 1000))).redirect('/ui/', 303);
    });

    ui.post('/ui/sign-out', async (request, reply) => {
      checkedPost(request);
      sessions.close(cookieOf(request));
      return reply.header('set-cookie', cookie('', 0)).redirect('/ui/sign-in?out=1', 303);
    });

    ui.get('/ui/', async (request, reply) => {
      const session = sessionFor(request);
      if (!session) return reply.redirect('/ui/sign-in', 303);
      const q = FleetQueryText.safeParse(request.query);
      if (!q.success) throw new PageError(400, 'That filter or page is not one the dashboard knows; start again from the fleet page.');
      const query: FleetQuery = {
        selector: q.data.selector ? parseSelector(q.data.selector) : undefined,
        state: q.data.state || undefined,
        name: q.data.name || undefined,
        sort: q.data.sort,
        descending: q.data.desc === '1',
        page: q.data.page,
      };
      let problem: string | undefined;
      let fleet;
      try {
        fleet = await fleetPage(control.runtime(), control.fleet, query, Date.now());
      } catch (error) {
        if (!(error instanceof RotadError) || error.code !== 'POLICY_NOT_FOUND') throw error;
        problem = error.message;
        fleet = await fleetPage(control.runtime(), control.fleet, { ...query, selector: undefined }, Date.now());
      }
      return html(reply, fleetPageHtml(fleet, query, session, problem));
    });

    ui.get('/ui/timeline', async (request, reply) => {
      const session = sessionFor(request);
      if (!session) return reply.redirect('/ui/sign-in', 303);
      const parsed = SelectorQuery.safeParse(request.query);
      const selector = parsed.success ? parsed.data.selector || undefined : undefined;
      const runtime = control.runtime();
      let only: Set<string> | undefined;
      let problem: string | undefined;
      if (selector) {
        try {
          only = new Set(selectPolicies(runtime.policies, { selector: parseSelector(selector) }).map((p) => p.name));
        } catch (error) {
          problem = describeError(error).message;
        }
      }
      return html(reply, timelinePageHtml(await fleetTimeline(runtime, control.fleet, Date.now(), only), selector, session, problem));
    });

    ui.get('/ui/policies/:name', async (request, reply) => {
      const session = sessionFor(request);
      if (!session) return reply.redirect('/ui/sign-in', 303);
      const policy = policyNamed(request);
      const { done } = PolicyQuery.safeParse(request.query).data ?? {};
      const now = Date.now();
      // One read of the policy serves its status and the ended rotations its state holds.
      let state: PolicyState | undefined;
      const [status] = await policyStatuses(control.runtime(), [policy.name], now, (name, snapshot) => {
        state = snapshot.state;
        control.fleet?.note(name, snapshot);
      });
      const settings = control.config().policies.find((p) => p.name === policy.name)!;
      const history = state === undefined ? [] : await policyHistory(policy, undefined, state);
      const notice =
        done === 'rotate' ? 'Rotation requested: the daemon serves it now.' : done === 'rollback' ? 'Rollback done: see Now and History below.' : undefined;
      return html(
        reply,
        policyPageHtml(
          {
            status: status!,
            state: fleetStateOf(status!, now),
            policy: settings,
            consumers: policy.consumers.map((c) => ({ key: c.key, label: c.consumer.label })),
            history,
          },
          session,
          notice,
        ),
      );
    });

    ui.get('/ui/policies/:name/:action', async (request, reply) => {
      const session = sessionFor(request);
      if (!session) return reply.redirect('/ui/sign-in', 303);
      const { action } = request.params as { action: string };
      if (action !== 'rotate' && action !== 'rollback') throw new PageError(404, 'No such page.');
      const policy = policyNamed(request);
      if (!session.scopes.includes(ACTION_SCOPES[action])) throw new PageError(403, `The token ${session.tokenName} lacks the scope ${action}.`);
      return html(reply, confirmPageHtml(policy.name, action, session));
    });

    ui.post('/ui/policies/:name/:action', async (request, reply) => {
      const { action } = request.params as { action: string };
      if (action !== 'rotate' && action !== 'rollback') throw new PageError(404, 'No such action.');
      const session = checkedPost(request, ACTION_SCOPES[action]);
      const policy = policyNamed(request);
      const actor = `api:${session.tokenName}`;
      if (action === 'rotate') await requestPolicyRotation(control, policy, actor);
      else await rollbackFromApi(control, policy, actor);
      return reply.redirect(`/ui/policies/${encodeURIComponent(policy.name)}?done=${action}`, 303);
    });
  });
}
