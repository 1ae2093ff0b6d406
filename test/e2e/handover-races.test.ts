import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiCall, writeApiConfig, type ApiSetup } from '../helpers/api.js';
import { DaemonProcess, expectNoSecretsInOutput } from '../helpers/daemon.js';
import { admin } from '../helpers/saas.js';
import { eventually, HttpSink } from '../helpers/sinks.js';
import { readPolicy } from '../helpers/store.js';
import { tempDir } from '../helpers/workspace.js';
import { GladlyServer } from '../adapters/providers/gladly/stand-in.js';

const EMAIL = 'api-user@acme.test';
const ENV = { INBOX_SECRET: 'inbox-signing-secret-77c1' };
const ORGANIZATION = 'GET /api/v1/organization';

/** A post to a hand-over path as a client behind the ingress (`X-Forwarded-For`), answered as JSON. */
async function post(base: string, path: string, body: unknown, client = '198.51.100.1'): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-forwarded-for': client },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('hand-over links under races and abuse (a daemon behind one proxy hop)', () => {
  const gladly = new GladlyServer('acme');
  const inbox = new HttpSink();
  let setup: ApiSetup;
  let daemon: DaemonProcess;
  let dir: string;
  const secrets: string[] = [ENV.INBOX_SECRET];

  /** The newest hand-over link, split into its path and the secret of its fragment. */
  async function newestLink(count: number): Promise<{ path: string; secret: string }> {
    await eventually(() => inbox.json().filter((e) => e.type === 'action-required' && typeof e.handoverUrl === 'string').length >= count, 20_000);
    const url = inbox
      .json()
      .filter((e) => typeof e.handoverUrl === 'string')
      .at(-1)!.handoverUrl as string;
    const [address, secret] = url.split('#');
    secrets.push(secret!);
    return { path: address!.slice(setup.base.length), secret: secret! };
  }

  const createToken = async (): Promise<string> => {
    const token = (await admin(gladly.url, 'POST', `/users/${EMAIL}/tokens`)).token as string;
    secrets.push(token);
    return token;
  };

  beforeAll(async () => {
    await gladly.start();
    gladly.addUser(EMAIL);
    await inbox.start();
    dir = await tempDir();
    setup = await writeApiConfig(dir, {
      gladlyUrl: gladly.url,
      email: EMAIL,
      webhookUrl: `${inbox.url}/events`,
      api: 'handoverTries: 3\nrequestsPerMinute: 40\ntrustedProxies: 1',
    });
    secrets.push(...setup.secrets);
    daemon = DaemonProcess.start(setup.config, ENV);
  });
  afterAll(async () => {
    expect((await daemon.stop()).code).toBe(0);
    await gladly.stop();
    await inbox.stop();
    expectNoSecretsInOutput(secrets);
  });

  it('two valid tokens posted at once through one link: one is taken, the other refused with "delete it", and no rotation starts that nobody asked for', async () => {
    const link = await newestLink(1);
    const [first, second] = [await createToken(), await createToken()];
    // The provider's check is slow, so both posts are in flight together.
    gladly.faults.push({ delayMs: 300, count: 2, match: ORGANIZATION });
    const answers = await Promise.all([
      post(setup.base, link.path, { secret: link.secret, token: first }, '198.51.100.1'),
      post(setup.base, link.path, { secret: link.secret, token: second }, '198.51.100.2'),
    ]);
    const accepted = answers.filter((a) => a.status === 200);
    const refused = answers.filter((a) => a.status !== 200);
    expect(accepted).toHaveLength(1);
    expect(refused).toHaveLength(1);
    expect(refused[0]!.body.message).toMatch(/not taken here: if you created it for this request and did not hand it over another way/);
    const taken = answers[0]!.status === 200 ? first : second;
    await daemon.waitFor((e) => e.msg === 'Rotation completed' && e.policy === 'gladly-prod', 20_000);

    // The race reported: a second valid token 8 ms after the first rotation completed.
    await new Promise((resolve) => setTimeout(resolve, 8));
    const late = await post(setup.base, link.path, { secret: link.secret, token: await createToken() });
    expect(late.status).toBe(410);
    // The page a used link opens shows no form (the request is not sent without an open link).
    const view = await post(setup.base, `${link.path}/request`, { secret: link.secret });
    expect(view.status).toBe(410);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const after = await readPolicy(dir, 'gladly-prod');
    expect(after.current?.value.reveal()).toBe(taken);
    expect(after.state).toMatchObject({ phase: 'idle' });
    expect(after.pending).toBeUndefined();
    expect(daemon.entries.filter((e) => e.msg === 'Rotation started' && e.policy === 'gladly-prod')).toHaveLength(1);
    expect(daemon.entries.some((e) => e.msg === 'Discarded a pending credential left by an earlier rotation')).toBe(false);
    // The same token posted again is taken already, not a new rotation.
    expect((await post(setup.base, link.path, { secret: link.secret, token: taken })).status).toBe(200);
  });

  it('eight wrong tokens at once on a link of three tries: exactly three reach the provider, then the link is locked', async () => {
    await apiCall(setup.base, 'POST', '/v1/policies/gladly-prod/rotate', { token: setup.tokens.rotator, body: '{}' });
    const link = await newestLink(2);
    const before = gladly.seen('GET', '/api/v1/organization').length;
    gladly.faults.push({ delayMs: 100, count: 3, match: ORGANIZATION });
    const answers = await Promise.all(
      Array.from({ length: 8 }, (_, i) => post(setup.base, link.path, { secret: link.secret, token: `${i}`.repeat(40) }, `198.51.100.${10 + i}`)),
    );
    expect(gladly.seen('GET', '/api/v1/organization').length - before).toBe(3);
    expect(answers.filter((a) => a.status === 422)).toHaveLength(3);
    expect(answers.filter((a) => a.status === 200)).toHaveLength(0);
    const state = (await readPolicy(dir, 'gladly-prod')).state;
    expect(state.assist?.links.find((l) => link.path.endsWith(l.id))).toMatchObject({ refused: 3, locked: true });
  });

  it('a stranger who knows only the link id cannot keep the person out, nor learn which policies exist', async () => {
    // The locked request is abandoned (its withdrawal goes to the inbox), and a new one asked.
    expect((await apiCall(setup.base, 'POST', '/v1/policies/gladly-prod/rollback', { token: setup.tokens.admin, body: '{}' })).status).toBe(200);
    await eventually(() => inbox.json().some((e) => e.type === 'request-withdrawn'), 20_000);
    await apiCall(setup.base, 'POST', '/v1/policies/gladly-prod/rotate', { token: setup.tokens.rotator, body: '{}' });
    const link = await newestLink(3);
    // Garbage from one client: its own limit runs out; the person's secret and address are untouched.
    const garbage = [];
    for (let i = 0; i < 21; i += 1) garbage.push((await post(setup.base, link.path, { secret: `x${i}`, token: 'z'.repeat(40) }, '203.0.113.66')).status);
    expect(garbage.slice(0, 20).every((s) => s === 410)).toBe(true);
    expect(garbage[20]).toBe(429);
    const view = await post(setup.base, `${link.path}/request`, { secret: link.secret }, '198.51.100.200');
    expect(view.status).toBe(200);
    expect(view.body).toMatchObject({ policy: 'gladly-prod', account: EMAIL });

    // An unknown policy and a known one answer alike, with nothing of the request.
    const unknownPage = await fetch(`${setup.base}/handover/no-such-policy.AAAAAAAAAAAAAAAA`);
    const knownPage = await fetch(`${setup.base}${link.path}`);
    expect(unknownPage.status).toBe(knownPage.status);
    const [unknownHtml, knownHtml] = [await unknownPage.text(), await knownPage.text()];
    expect(unknownHtml).toBe(knownHtml);
    expect(knownHtml).not.toContain(EMAIL);
    expect(knownHtml).not.toContain('gladly-prod');
    const [unknownView, knownView] = [
      await post(setup.base, '/handover/no-such-policy.AAAAAAAAAAAAAAAA/request', { secret: 'guess' }, '198.51.100.201'),
      await post(setup.base, `${link.path}/request`, { secret: 'guess' }, '198.51.100.201'),
    ];
    expect(unknownView).toEqual(knownView);
  });

  it('trustedProxies: two people behind one proxy hop have their own request limits', async () => {
    let status = 0;
    for (let i = 0; i < 45 && status !== 429; i += 1)
      status = (await fetch(`${setup.base}/handover/x.AAAAAAAAAAAAAAAA`, { headers: { 'x-forwarded-for': '203.0.113.9' } })).status;
    expect(status).toBe(429);
    const other = await fetch(`${setup.base}/handover/x.AAAAAAAAAAAAAAAA`, { headers: { 'x-forwarded-for': '203.0.113.10' } });
    expect(other.status).toBe(200);
  });
});
