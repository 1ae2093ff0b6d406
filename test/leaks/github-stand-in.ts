import { createHmac, randomUUID } from 'node:crypto';
import { notFound, SaasServer, type Reply, type Request } from '../servers/saas/base.js';

interface Alert {
  number: number;
  repository: string;
  secret: string;
  secretType: string;
  state: 'open' | 'resolved';
}

/**
 * GitHub's secret scanning as rotad's leak intake meets it (REST API 2022-11-28): GET
 * /repos/{owner}/{repo}/secret-scanning/alerts/{number} with a bearer token answers the alert with
 * its `secret` (401 without a token, 403 for a token that may not read alerts, 404 for an unknown
 * alert); `delivery` builds the `secret_scanning_alert` webhook GitHub would send for an alert,
 * signed with X-Hub-Signature-256 (HMAC-SHA256 of the body) — the payload never carries the secret.
 */
export class GithubServer extends SaasServer {
  readonly alerts: Alert[] = [];
  readonly #tokens = new Map<string, 'read' | 'none'>();

  /** A token that may read secret scanning alerts (`read`) or not (`none`). */
  allowToken(token: string, access: 'read' | 'none' = 'read'): void {
    this.#tokens.set(token, access);
  }

  /** Secret scanning found `secret` in `repository`. */
  raiseAlert(repository: string, secret: string, secretType = 'generic_api_key'): Alert {
    const alert: Alert = { number: this.alerts.length + 1, repository, secret, secretType, state: 'open' };
    this.alerts.push(alert);
    return alert;
  }

  /** The webhook delivery for an alert: headers and the exact body, signed with `webhookSecret`. */
  delivery(alert: Alert, action: string, webhookSecret: string, event = 'secret_scanning_alert'): { headers: Record<string, string>; body: string } {
    const body = JSON.stringify({
      action,
      alert: {
        number: alert.number,
        created_at: '2026-12-05T10:00:00Z',
        url: `${this.url}/repos/${alert.repository}/secret-scanning/alerts/${alert.number}`,
        html_url: `https://github.com/${alert.repository}/security/secret-scanning/${alert.number}`,
        locations_url: `${this.url}/repos/${alert.repository}/secret-scanning/alerts/${alert.number}/locations`,
        resolution: null,
        secret_type: alert.secretType,
        secret_type_display_name: 'Generic API key',
        validity: 'unknown',
        publicly_leaked: false,
        multi_repo: false,
      },
      repository: { id: 1, name: alert.repository.split('/')[1], full_name: alert.repository, private: true },
      sender: { login: 'github', id: 9919, type: 'Bot' },
    });
    return {
      body,
      headers: {
        'content-type': 'application/json',
        'x-github-event': event,
        'x-github-delivery': randomUUID(),
        'x-hub-signature-256': `sha256=${createHmac('sha256', webhookSecret).update(body).digest('hex')}`,
        'user-agent': 'GitHub-Hookshot/0000000',
      },
    };
  }

  protected handle(request: Request): Reply {
    const [repos, owner, repo, scanning, alerts, number] = request.segments;
    if (request.method !== 'GET' || repos !== 'repos' || scanning !== 'secret-scanning' || alerts !== 'alerts') return notFound;
    const token = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
    if (token === undefined || !this.#tokens.has(token))
      return { status: 401, body: { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest' } };
    if (this.#tokens.get(token) !== 'read') return { status: 403, body: { message: 'Resource not accessible by personal access token' } };
    const alert = this.alerts.find((a) => a.repository === `${owner}/${repo}` && String(a.number) === number);
    if (!alert) return { status: 404, body: { message: 'Not Found' } };
    return {
      status: 200,
      body: {
        number: alert.number,
        state: alert.state,
        secret_type: alert.secretType,
        secret: alert.secret,
        html_url: `https://github.com/${alert.repository}/security/secret-scanning/${alert.number}`,
      },
    };
  }

  protected admin(): Reply {
    return notFound;
  }
}
