import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiCall, writeApiConfig, type ApiSetup } from '../helpers/api.js';
import { launchChromium, launchChromiumProfile } from '../helpers/browser.js';
import { DaemonProcess, expectNoSecretsInOutput } from '../helpers/daemon.js';
import { ROOT } from '../helpers/paths.js';
import { admin } from '../helpers/saas.js';
import { eventually, HttpSink } from '../helpers/sinks.js';
import { readPolicy } from '../helpers/store.js';
import { tempDir } from '../helpers/workspace.js';
import { GladlyServer } from '../adapters/providers/gladly/stand-in.js';

const EMAIL = 'api-user@acme.test';
const ENV = { INBOX_SECRET: 'inbox-signing-secret-3d9a' };

/** The hand-over links the person's inbox (the webhook notifier) has received, oldest first. */
function linksIn(inbox: HttpSink): string[] {
  return inbox
    .json()
    .filter((e) => e.type === 'action-required' && typeof e.handoverUrl === 'string')
    .map((e) => e.handoverUrl as string);
}

async function nthLink(inbox: HttpSink, n: number): Promise<string> {
  await eventually(() => linksIn(inbox).length > n, 20_000);
  return linksIn(inbox)[n]!;
}

/** Opens a link and waits until its page has asked for the request: shown, or refused. */
async function openLinkPage(page: Page, link: string): ReturnType<Page['goto']> {
  const response = await page.goto(link);
  await page.waitForSelector('#request:not([hidden]), #status.refused', { timeout: 20_000 });
  return response;
}

/** Pastes a token into the page and waits for the outcome it shows. */
async function handOver(page: Page, token: string): Promise<{ kind: string; text: string }> {
  await page.fill('#token', token);
  await page.click('button[type=submit]');
  await page.waitForSelector('#status.accepted, #status.refused', { timeout: 20_000 });
  return page.$eval('#status', (el) => ({ kind: el.className, text: el.textContent ?? '' }));
}

describe('the one-time hand-over page, in headless Chromium against the daemon', () => {
  const gladly = new GladlyServer('acme');
  const inbox = new HttpSink();
  let browser: BrowserContext;
  let profile: string;
  let setup: ApiSetup;
  let daemon: DaemonProcess;
  let dir: string;
  const secrets: string[] = [ENV.INBOX_SECRET];
  /** Tokens handed over through the page: never in the browser's profile on disk. */
  const handedOver: string[] = [];

  beforeAll(async () => {
    await gladly.start();
    gladly.addUser(EMAIL);
    await inbox.start();
    profile = await tempDir('rotad-chromium-');
    browser = await launchChromiumProfile(profile);
    dir = await tempDir();
    setup = await writeApiConfig(dir, { gladlyUrl: gladly.url, email: EMAIL, webhookUrl: `${inbox.url}/events`, api: 'handoverTries: 3' });
    secrets.push(...setup.secrets);
    daemon = DaemonProcess.start(setup.config, ENV);
  });
  afterAll(async () => {
    await browser?.close();
    // The browser's history database, caches and session files hold no token that went through the page.
    const files = (await readdir(profile, { recursive: true, withFileTypes: true })).filter((f) => f.isFile());
    expect(files.some((f) => f.name === 'History')).toBe(true);
    for (const file of files) {
      const bytes = await readFile(join(file.parentPath, file.name));
      for (const token of handedOver) expect(bytes.includes(token), `${file.name} holds a token`).toBe(false);
    }
    expect((await daemon.stop()).code).toBe(0);
    await gladly.stop();
    await inbox.stop();
    // Neither a token nor a link's secret appears in anything the daemon printed.
    secrets.push(...linksIn(inbox).map((url) => url.split('#')[1]!));
    expectNoSecretsInOutput(secrets);
  });

  it('takes a wrong token (refused, the request stays open), then the right one, and the daemon completes the rotation', async () => {
    const link = await nthLink(inbox, 0);
    expect(link).toMatch(new RegExp(`^${setup.base}/handover/gladly-prod\\.[A-Za-z0-9_-]{16}#[A-Za-z0-9_-]{43}$`));
    const page = await browser.newPage();
    const response = await openLinkPage(page, link);
    // Headers of a page that takes a secret.
    const headers = response!.headers();
    expect(headers['content-security-policy']).toContain("default-src 'none'");
    expect(headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(headers['cache-control']).toBe('no-store');
    expect(headers['x-frame-options']).toBe('SAMEORIGIN');
    expect(headers['referrer-policy']).toBe('no-referrer');
    // The request, as the notification gave it; the secret leaves the address bar at once.
    expect(await page.textContent('h1')).toContain('gladly-prod');
    expect(await page.textContent('main')).toContain(EMAIL);
    expect(await page.textContent('main')).toContain('Settings → App Developer Tools → API Tokens');
    expect(page.url()).toBe(link.split('#')[0]);

    const wrong = await handOver(page, 'f'.repeat(40));
    expect(wrong.kind).toBe('refused');
    expect(wrong.text).toContain('401');
    expect(wrong.text).toContain('2 more times');
    // Plain words first (the provider, the account to check), the technical reason after.
    expect(wrong.text).toContain(`Gladly did not accept this token: was it created while signed in as ${EMAIL}`);
    expect(wrong.text.indexOf('did not accept')).toBeLessThan(wrong.text.indexOf('401'));
    // The deadline in the reader's own zone, named (this browser runs on UTC).
    expect(await page.textContent('#deadline')).toMatch(/^\w{3}, \d{1,2} \w{3} \d{4}, \d{2}:\d{2} UTC$/);
    const open = await readPolicy(dir, 'gladly-prod');
    expect(open.state.assist?.action).toBe('create');
    expect(open.state.assist?.refusal).toContain('401');
    expect(open.pending).toBeUndefined();
    if (process.env.UPDATE_SCREENSHOTS) {
      await mkdir(`${ROOT}docs/images`, { recursive: true });
      await page.setViewportSize({ width: 820, height: 980 });
      await page.screenshot({ path: `${ROOT}docs/images/handover-page.png`, fullPage: true });
    }

    const token = (await admin(gladly.url, 'POST', `/users/${EMAIL}/tokens`)).token as string;
    secrets.push(token);
    handedOver.push('f'.repeat(40), token);
    const accepted = await handOver(page, token);
    expect(accepted.kind).toBe('accepted');
    expect(accepted.text).toContain('the token was accepted');
    expect(await page.textContent('#fine')).toContain('This link is now used up');
    await daemon.waitFor((e) => e.msg === 'Rotation completed' && e.policy === 'gladly-prod');
    expect((await readPolicy(dir, 'gladly-prod')).current?.value.reveal()).toBe(token);
    expect(daemon.entries).toContainEqual(expect.objectContaining({ type: 'audit', policy: 'gladly-prod', outcome: 'handed-over', actor: 'handover-link' }));

    // The token is nowhere in the page, its address, its history entry or its storage.
    expect(await page.content()).not.toContain(token);
    expect(await page.$eval('#token', (el) => (el as unknown as { value: string }).value)).toBe('');
    const traces = await page.evaluate<string[]>(
      '[location.href, String(history.length), JSON.stringify(sessionStorage), JSON.stringify(localStorage), document.referrer]',
    );
    for (const trace of traces) expect(trace).not.toContain(token);

    // Used: the page says so, and a direct post is refused.
    const again = await browser.newPage();
    await openLinkPage(again, link);
    expect(await again.textContent('h1')).toBe('This hand-over link cannot be used');
    expect(await again.$('#token')).toBeNull();
    const [path, secret] = link.slice(setup.base.length).split('#');
    const replay = await apiCall(setup.base, 'POST', path!, { body: JSON.stringify({ secret, token: 'g'.repeat(40) }) });
    expect(replay.status).toBe(410);
    expect(replay.body.code).toBe('HANDOVER_LINK_INVALID');
    await page.close();
    await again.close();
  });

  it('refuses a link of another rotation and a tampered fragment, and locks a link after its tries', async () => {
    const first = linksIn(inbox)[0]!;
    await apiCall(setup.base, 'POST', '/v1/policies/gladly-prod/rotate', { token: setup.tokens.rotator, body: '{}' });
    const second = await nthLink(inbox, 1);
    expect(second).not.toBe(first);

    const old = await browser.newPage();
    await openLinkPage(old, first);
    expect(await old.textContent('.refused')).toContain('not valid (any more)');
    await old.close();

    // A tampered secret: refused before any token is looked at, and the real link still works.
    const [address, secret] = second.split('#');
    const callsBefore = gladly.calls.length;
    const tampered = await browser.newPage();
    await openLinkPage(tampered, `${address}#${secret!.slice(0, -2)}${secret!.endsWith('AA') ? 'BB' : 'AA'}`);
    // Nothing of the request is shown, and there is no field to paste a token into.
    expect(await tampered.textContent('.refused')).toContain('not opened exactly as it was sent');
    expect(await tampered.textContent('main')).not.toContain(EMAIL);
    expect(await tampered.$('#token')).toBeNull();
    const forged = await apiCall(setup.base, 'POST', address!.slice(setup.base.length), {
      body: JSON.stringify({ secret: `${secret!.slice(0, -1)}x`, token: 'h'.repeat(40) }),
    });
    expect(forged.status).toBe(410);
    await tampered.close();
    expect(gladly.calls.length, 'the provider was not asked about a token sent with a forged link').toBe(callsBefore);

    const page = await browser.newPage();
    await openLinkPage(page, second);
    for (let i = 1; i <= 3; i += 1) {
      const refused = await handOver(page, `${i}`.repeat(40));
      expect(refused.kind).toBe('refused');
      if (i < 3) await page.waitForSelector('button:not([disabled])');
    }
    expect(await page.isHidden('#handover')).toBe(true);
    const state = (await readPolicy(dir, 'gladly-prod')).state;
    expect(state.assist?.links.find((l) => second.includes(l.id))).toMatchObject({ refused: 3, locked: true });
    // Only the hash of the secret is in the store.
    expect(JSON.stringify(state)).not.toContain(secret!);
    await eventually(() => inbox.json().some((e) => String(e.message).includes('hand-over link was locked after 3 refused tokens')));
    const reopened = await browser.newPage();
    await openLinkPage(reopened, second);
    expect(await reopened.textContent('.refused')).toContain('locked after 3 refused tokens');
    await page.close();
    await reopened.close();
  });
});

describe('an expired hand-over link', () => {
  const gladly = new GladlyServer('acme');
  const inbox = new HttpSink();
  let setup: ApiSetup;

  beforeAll(async () => {
    await gladly.start();
    gladly.addUser(EMAIL);
    await inbox.start();
    setup = await writeApiConfig(await tempDir(), {
      gladlyUrl: gladly.url,
      email: EMAIL,
      webhookUrl: `${inbox.url}/events`,
      assist: '{ remindEvery: 1h, deadline: 2s, checkEvery: 300ms }',
    });
  });
  afterAll(async () => {
    await gladly.stop();
    await inbox.stop();
  });

  it("is refused once the request's deadline has passed, with what to do instead", async () => {
    const daemon = DaemonProcess.start(setup.config, ENV);
    const browser = await launchChromium();
    try {
      const link = await nthLink(inbox, 0);
      // The deadline (2s) escalates the request; the link ends with it.
      await eventually(() => inbox.json().some((e) => e.type === 'action-overdue'), 20_000);
      const page = await browser.newPage();
      await openLinkPage(page, link);
      expect(await page.textContent('.refused')).toMatch(/this link expired at .*rotad submit gladly-prod/);
      const [path, secret] = link.slice(setup.base.length).split('#');
      const late = await apiCall(setup.base, 'POST', path!, { body: JSON.stringify({ secret, token: 'k'.repeat(40) }) });
      expect(late).toMatchObject({ status: 410, body: { code: 'HANDOVER_LINK_INVALID' } });
    } finally {
      await browser.close();
      expect((await daemon.stop()).code).toBe(0);
    }
  });
});
