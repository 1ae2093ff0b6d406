import { readdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiCall, writeApiConfig, type ApiSetup } from '../helpers/api.js';
import { launchChromiumProfile } from '../helpers/browser.js';
import { DaemonProcess, expectNoSecretsInOutput } from '../helpers/daemon.js';
import { ROOT } from '../helpers/paths.js';
import { HttpSink } from '../helpers/sinks.js';
import { readPolicy } from '../helpers/store.js';
import { tempDir } from '../helpers/workspace.js';
import { GladlyServer } from '../adapters/providers/gladly/stand-in.js';

const EMAIL = 'dashboard-user@acme.test';
const ENV = { INBOX_SECRET: 'inbox-signing-secret-dash-41c7' };
/** axe-core, the accessibility checker, run inside each page. */
const AXE = readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** A fleet in every state a person looks for: waiting for a person, OK, needs attention, suspended; with labels. */
const MORE_POLICIES = `  - name: steady
    provider: { type: random, length: 32 }
    schedule: { every: 30d }
    labels: { team: platform }
  - name: broken
    provider: { type: random, length: 32 }
    schedule: { every: 30d }
    labels: { team: platform }
    consumers: [ { type: http, url: "http://127.0.0.1:1/reload", timeout: 1s } ]
  - name: paused
    provider: { type: random, length: 32 }
    schedule: manual
    suspend: true
`;

/** Screenshots for docs/api.md, taken only when asked (UPDATE_SCREENSHOTS=1): a test run leaves the work tree as it was. */
async function screenshot(page: Page, name: string, fullPage = false): Promise<void> {
  if (process.env.UPDATE_SCREENSHOTS) await page.screenshot({ path: `${ROOT}docs/images/${name}.png`, fullPage });
}

/** axe-core's violations on the page (every rule of WCAG 2.1 A and AA), as `rule: target` lines. */
async function accessibilityProblems(page: Page): Promise<string[]> {
  // Through the DevTools protocol, which the page's CSP (no script at all) does not govern.
  await page.evaluate(await AXE);
  const result = await page.evaluate(() =>
    (globalThis as unknown as { axe: { run(o: unknown): Promise<{ violations: Array<{ id: string; nodes: Array<{ target: string[] }> }> }> } }).axe.run({
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
    }),
  );
  return result.violations.flatMap((v) => v.nodes.map((n) => `${v.id}: ${n.target.join(' ')}`));
}

describe('the dashboard, in headless Chromium against the daemon', () => {
  const gladly = new GladlyServer('acme');
  const inbox = new HttpSink();
  let browser: BrowserContext;
  let profile: string;
  let setup: ApiSetup;
  let daemon: DaemonProcess;
  let dir: string;
  const secrets: string[] = [ENV.INBOX_SECRET];
  /** Every page's HTML as the browser got it, searched for secrets at the end. */
  const pages: string[] = [];

  const visit = async (page: Page, path: string): Promise<void> => {
    await page.goto(`${setup.base}${path}`);
    pages.push(await page.content());
  };
  const signIn = async (page: Page, token: string): Promise<void> => {
    await visit(page, '/ui/sign-in');
    await page.getByLabel(/API token/).fill(token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForLoadState();
    pages.push(await page.content());
  };

  beforeAll(async () => {
    await gladly.start();
    gladly.addUser(EMAIL);
    await inbox.start();
    profile = await tempDir('rotad-chromium-');
    browser = await launchChromiumProfile(profile);
    dir = await tempDir();
    setup = await writeApiConfig(dir, { gladlyUrl: gladly.url, email: EMAIL, webhookUrl: `${inbox.url}/events`, morePolicies: MORE_POLICIES });
    secrets.push(...setup.secrets);
    daemon = DaemonProcess.start(setup.config, ENV);
    await daemon.waitForMessage('Control API listening');
    await daemon.waitFor((e) => e.msg === 'Rotation needs attention' && e.policy === 'broken', 20_000);
    await daemon.waitFor((e) => e.msg === 'Rotation completed' && e.policy === 'steady');
    await daemon.waitFor((e) => e.msg === 'Waiting for a person' && e.policy === 'gladly-prod');
  });
  afterAll(async () => {
    await browser?.close();
    // Neither the pages, nor what the browser keeps on disk (cookies, history, caches), hold a token or a credential.
    const values = [...secrets];
    for (const name of ['steady', 'broken', 'gladly-prod']) {
      const { current, previous } = await readPolicy(dir, name);
      for (const credential of [current, previous]) if (credential) values.push(credential.value.reveal());
    }
    for (const html of pages) for (const value of values) expect(html.includes(value), 'a page holds a secret').toBe(false);
    const files = (await readdir(profile, { recursive: true, withFileTypes: true })).filter((f) => f.isFile());
    for (const file of files) {
      const bytes = await readFile(join(file.parentPath, file.name));
      for (const value of values) expect(bytes.includes(value), `${file.name} holds a secret`).toBe(false);
    }
    expect((await daemon.stop()).code).toBe(0);
    await gladly.stop();
    await inbox.stop();
    expectNoSecretsInOutput(values);
  });

  it('signs in with a read token only, and keeps the token out of the browser', async () => {
    const page = await browser.newPage();
    await visit(page, '/ui/');
    expect(new URL(page.url()).pathname).toBe('/ui/sign-in');
    expect(await accessibilityProblems(page)).toEqual([]);
    await screenshot(page, 'dashboard-sign-in');
    await signIn(page, 'not-a-token-of-this-daemon-at-all');
    expect(await page.getByRole('alert').textContent()).toContain('not one of daemon.api.tokens');
    await signIn(page, setup.tokens.rotator);
    expect(await page.getByRole('alert').textContent()).toContain('lacks the scope read');
    // By keyboard alone: the skip link first, then the token field; Enter signs in.
    await visit(page, '/ui/sign-in');
    await page.keyboard.press('Tab');
    expect(
      await page.evaluate(() => (globalThis as unknown as { document: { activeElement: { textContent: string } } }).document.activeElement.textContent),
    ).toBe('Skip to content');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => (globalThis as unknown as { document: { activeElement: { id: string } } }).document.activeElement.id)).toBe('token');
    await page.keyboard.type(setup.tokens.reader);
    await page.keyboard.press('Enter');
    await page.waitForURL(`${setup.base}/ui/`);
    pages.push(await page.content());
    const [cookie, ...others] = await browser.cookies(`${setup.base}/ui/`);
    expect(others).toEqual([]);
    expect(cookie).toMatchObject({ name: 'rotad_session', httpOnly: true, sameSite: 'Strict', path: '/ui' });
    expect(
      await page.evaluate(() => {
        const web = globalThis as unknown as { localStorage: { length: number }; sessionStorage: { length: number } };
        return [web.localStorage.length, web.sessionStorage.length];
      }),
    ).toEqual([0, 0]);
    await page.close();
  });

  it('shows the fleet by state, filters by label and state, sorts, and draws the timeline', async () => {
    const page = await browser.newPage();
    await visit(page, '/ui/');
    const count = async (words: string): Promise<number> =>
      Number(
        await page
          .getByRole('list', { name: 'Policies by state' })
          .getByRole('link', { name: new RegExp(`^\\d+${words}$`) })
          .locator('strong')
          .textContent(),
      );
    expect(await count('All')).toBe(5);
    expect(await count('Waiting for a person')).toBe(1);
    expect(await count('Needs attention')).toBe(1);
    expect(await count('Suspended')).toBe(1);
    expect((await count('OK')) + (await count('Rotating'))).toBe(2);
    const rowFor = (name: string) => page.getByRole('row').filter({ has: page.getByRole('rowheader', { name }) });
    expect(await rowFor('gladly-prod').textContent()).toContain(`${EMAIL} to create a token`);
    expect(await rowFor('broken').textContent()).toContain('CONSUMER_FAILED');
    expect(await accessibilityProblems(page)).toEqual([]);
    await screenshot(page, 'dashboard-fleet', true);

    await page.getByLabel('Labels').fill('team=platform');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForLoadState();
    const names = async (): Promise<string[]> => page.getByRole('rowheader').allTextContents();
    expect(await names()).toEqual(['broken', 'steady']);
    await page.getByLabel('State', { exact: true }).selectOption('attention');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForLoadState();
    expect(await names()).toEqual(['broken']);
    // By state: OK and rotating first, suspended last; the header's link turns the order round.
    await visit(page, '/ui/?sort=state');
    expect(['heartbeat', 'steady']).toContain((await names())[0]);
    expect((await names()).at(-1)).toBe('paused');
    await page.getByRole('link', { name: /^State/ }).click();
    await page.waitForLoadState();
    expect(await page.getByRole('columnheader', { name: /^State/ }).getAttribute('aria-sort')).toBe('descending');
    expect((await names())[0]).toBe('paused');
    await visit(page, '/ui/?selector=team%3Dnobody');
    expect(await page.getByRole('alert').textContent()).toContain('no policy matches the selector');

    await visit(page, '/ui/timeline');
    expect(await page.locator('svg[role=img]').count()).toBe(1);
    const weekly = await page
      .getByRole('table')
      .locator('tbody tr')
      .evaluateAll((rows) => rows.map((row) => [...row.querySelectorAll('td')].map((cell) => Number(cell.textContent))));
    expect(
      weekly.reduce((n, cells) => n + cells[0]!, 0),
      'rotations completed',
    ).toBeGreaterThanOrEqual(2);
    expect(
      weekly.reduce((n, cells) => n + cells[2]!, 0),
      'stops',
    ).toBeGreaterThanOrEqual(1);
    expect(
      weekly.reduce((n, cells) => n + cells[3]!, 0),
      'scheduled',
    ).toBeGreaterThanOrEqual(3);
    expect(await accessibilityProblems(page)).toEqual([]);
    await screenshot(page, 'dashboard-timeline', true);
    await page.close();
  });

  it("shows a policy's open request and history; a read token gets no actions and its POSTs are refused", async () => {
    const page = await browser.newPage();
    await visit(page, '/ui/policies/gladly-prod');
    expect(await page.getByRole('heading', { name: 'Open request to a person' }).count()).toBe(1);
    expect(await page.locator('main').textContent()).toContain(EMAIL);
    expect(await page.getByRole('link', { name: /Rotate now/ }).count()).toBe(0);
    expect(await accessibilityProblems(page)).toEqual([]);
    // The reader's own session and form secret, posting an action its token lacks: refused, nothing requested.
    const formSecret = await page.locator('input[name=formSecret]').first().getAttribute('value');
    const cookie = (await browser.cookies(`${setup.base}/ui/`))[0]!.value;
    const response = await fetch(`${setup.base}/ui/policies/steady/rotate`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie: `rotad_session=${cookie}`, origin: setup.base, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ formSecret: formSecret! }).toString(),
    });
    const refused = { status: response.status, text: await response.text() };
    expect(refused.status).toBe(403);
    expect(refused.text).toContain('lacks the scope rotate');
    await page.close();
  });

  it('rotates from the dashboard behind a confirmation, refuses cross-site and secretless posts, and signs out', async () => {
    const page = await browser.newPage();
    await signIn(page, setup.tokens.admin);
    const before = daemon.entries.filter((e) => e.msg === 'Rotation completed' && e.policy === 'steady').length;
    await visit(page, '/ui/policies/steady');
    await page.getByRole('link', { name: 'Rotate now…' }).click();
    await page.waitForLoadState();
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Rotate now: steady?');
    expect(await accessibilityProblems(page)).toEqual([]);
    await screenshot(page, 'dashboard-confirm');
    // The button is reached by keyboard and pressed with Enter.
    await page.getByRole('button', { name: 'Rotate now' }).focus();
    await page.keyboard.press('Enter');
    await page.waitForURL(/done=rotate/);
    expect(await page.getByRole('status').textContent()).toContain('Rotation requested');
    await daemon.waitFor((e) => e.msg === 'Rotation completed' && e.policy === 'steady', 20_000, before);
    await visit(page, '/ui/policies/steady');
    const newest = page
      .getByRole('table', { name: /ended rotations/ })
      .locator('tbody tr')
      .first();
    expect(await newest.textContent()).toContain('api:ops-admin');
    expect(await accessibilityProblems(page)).toEqual([]);
    await screenshot(page, 'dashboard-policy', true);
    const audit = (await readFile(join(dir, 'audit.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(audit).toContainEqual(expect.objectContaining({ policy: 'steady', phase: 'request', outcome: 'requested', actor: 'api:ops-admin' }));

    // Another site's form, the session cookie attached by a careless browser: refused by Origin and form secret alike.
    const cookie = (await browser.cookies(`${setup.base}/ui/`))[0]!.value;
    const formSecret = await page.locator('input[name=formSecret]').first().getAttribute('value');
    const post = (headers: Record<string, string>, body: string) =>
      fetch(`${setup.base}/ui/policies/steady/rotate`, {
        method: 'POST',
        redirect: 'manual',
        headers: { cookie: `rotad_session=${cookie}`, 'content-type': 'application/x-www-form-urlencoded', ...headers },
        body,
      });
    const requestsBefore = audit.filter((e) => e.phase === 'request').length;
    expect((await post({ origin: 'https://evil.example' }, `formSecret=${formSecret}`)).status).toBe(403);
    expect((await post({ 'sec-fetch-site': 'cross-site' }, `formSecret=${formSecret}`)).status).toBe(403);
    expect((await post({}, 'formSecret=guessed')).status).toBe(403);
    expect((await post({}, '')).status).toBe(403);
    const after = (await readFile(join(dir, 'audit.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(after.filter((e) => e.phase === 'request').length).toBe(requestsBefore);

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForLoadState();
    expect(await page.getByRole('status').textContent()).toBe('Signed out.');
    const stale = await fetch(`${setup.base}/ui/`, { redirect: 'manual', headers: { cookie: `rotad_session=${cookie}` } });
    expect(stale.status).toBe(303);
    expect(stale.headers.get('location')).toBe('/ui/sign-in');
    await page.close();
  });

  it('keeps the JSON API as it was: a bearer token, not the cookie', async () => {
    const viaCookie = await fetch(`${setup.base}/v1/policies`, { headers: { cookie: 'rotad_session=anything' } });
    expect(viaCookie.status).toBe(401);
    expect((await apiCall(setup.base, 'GET', '/v1/policies', { token: setup.tokens.reader })).status).toBe(200);
  });
});
