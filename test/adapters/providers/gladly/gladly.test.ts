import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DaemonProcess, expectNoSecretsInOutput, runCli } from '../../../helpers/daemon.js';
import { admin, waitForEvent, writeSaasConfig } from '../../../helpers/saas.js';
import { ROOT } from '../../../helpers/paths.js';
import { openStore, STORE_KINDS } from '../../../helpers/store-kinds.js';
import { tempDir } from '../../../helpers/workspace.js';
import { GladlyServer } from './stand-in.js';
import { StackOneServer } from '../../consumers/stackone-account/stand-in.js';

const EMAIL = 'api-user@acme.test';
const STACKONE_KEY = 'stackone-test-key-5f2c8d1e9a';

describe('gladly: an assisted rotation through the daemon, with StackOne and a Gladly webhook as consumers', () => {
  const gladly = new GladlyServer('acme');
  let stackone: StackOneServer;
  const secrets: string[] = [STACKONE_KEY];

  beforeAll(async () => {
    await gladly.start();
    gladly.addUser(EMAIL);
    gladly.webhooks.set('wh-1', { id: 'wh-1', url: 'https://hooks.acme.test/gladly', enabled: true });
    // StackOne checks the linked account's token against Gladly, as the real one would.
    stackone = await new StackOneServer(STACKONE_KEY, (c) => gladly.tokenId(EMAIL, c.api_token ?? '') !== undefined).start();
    stackone.accounts.set('acc-1', { id: 'acc-1', provider: 'gladly', credentials: {}, status: 'inactive' });
  });
  afterAll(async () => {
    await gladly.stop();
    await stackone.stop();
  });

  it('asks a person, refuses wrong tokens, rolls out, asks for the deletion and confirms it', async () => {
    const dir = await tempDir();
    const config = await writeSaasConfig(
      dir,
      `
  - name: gladly-prod
    provider: { type: gladly, organization: acme, email: ${EMAIL}, baseUrl: "${gladly.url}" }
    schedule: { every: 90d }
    consumers:
      - { type: stackone-account, accountId: acc-1, baseUrl: "${stackone.url}", credentials: { organization_slug: acme, agent_email: ${EMAIL} } }
  - name: gladly-webhook-secret
    provider: { type: random, length: 40 }
    schedule: { every: 30d }
    consumers:
      - { type: gladly-webhook, webhookId: wh-1, auth: { policy: gladly-prod }, set: password, username: rotad, baseUrl: "${gladly.url}" }`,
    );
    const env = { STACKONE_API_KEY: STACKONE_KEY };
    const daemon = DaemonProcess.start(config, env);
    try {
      // First rotation: the person is asked, with the user to sign in as and the UI path.
      const asked = await waitForEvent(daemon, 'action-required');
      expect(asked.policy).toBe('gladly-prod');
      expect(asked.detail).toContain(`Sign in to https://acme.gladly.com as ${EMAIL}`);
      expect(asked.detail).toContain('Settings → App Developer Tools → API Tokens');
      expect(asked.detail).toContain('rotad submit gladly-prod');

      // A malformed token and a token Gladly does not know are refused; the request stays open.
      const malformed = await runCli(['submit', 'gladly-prod', '--config', config], env, 'two words\n');
      expect(malformed.code).toBe(1);
      expect(malformed.stderr).toContain('SUBMISSION_REFUSED');
      const unknown = await runCli(['submit', 'gladly-prod', '--config', config], env, 'f'.repeat(40));
      expect(unknown.code).toBe(1);
      expect(unknown.stderr).toMatch(
        /SUBMISSION_REFUSED: Gladly did not accept this token: was it created while signed in as .*\?\nTechnical reason: Gladly GET \/api\/v1\/organization answered 401/,
      );
      const status = await runCli(['status', '--config', config, '--json'], env);
      const row = (JSON.parse(status.stdout) as Array<{ policy: string; waitingFor?: { account: string; action: string; lastRefusal?: string } }>).find(
        (r) => r.policy === 'gladly-prod',
      );
      expect(row?.waitingFor).toMatchObject({ account: EMAIL, action: 'create' });
      expect(row?.waitingFor?.lastRefusal).toContain('401');

      const first = (await admin(gladly.url, 'POST', `/users/${EMAIL}/tokens`)).token as string;
      secrets.push(first);
      const ok = await runCli(['submit', 'gladly-prod', '--config', config], env, `${first}\n`);
      expect(ok.stdout + ok.stderr).toContain('token accepted');
      expect(ok.code).toBe(0);
      await daemon.waitFor((e) => e.msg === 'Rotation completed' && e.policy === 'gladly-prod');

      // The webhook secret policy calls Gladly with gladly-prod's token. It ran before that token
      // existed, stopped in needs-attention with the reason, and resumes when asked.
      await daemon.waitFor(
        (e) => e.msg === 'Rotation needs attention' && e.policy === 'gladly-webhook-secret' && String(e.reason).includes('has no current Gladly token yet'),
      );
      await runCli(['rotate', 'gladly-webhook-secret', '--config', config], env);
      await daemon.waitFor((e) => e.msg === 'Rotation completed' && e.policy === 'gladly-webhook-secret');
      const store = openStore({ type: 'file', path: `${dir}/state/secrets.enc`, key: { file: `${dir}/state/store.key` } });
      const hookSecret = (await store.read({ name: 'gladly-webhook-secret' })).current!.value.reveal();
      secrets.push(hookSecret);
      const hook = await admin(gladly.url, 'GET', '/webhooks/wh-1');
      expect(hook.credentials).toEqual({ username: 'rotad', password: hookSecret });

      // Second rotation: requested by a person; the new token rolls out before the old one is touched.
      gladly.calls.length = 0;
      await runCli(['rotate', 'gladly-prod', '--config', config], env);
      await waitForEvent(daemon, 'action-required', 1);
      const second = (await admin(gladly.url, 'POST', `/users/${EMAIL}/tokens`)).token as string;
      secrets.push(second);
      expect((await runCli(['submit', 'gladly-prod', '--config', config], env, second)).code).toBe(0);
      const deletion = await waitForEvent(daemon, 'action-required', 2);
      expect(deletion.detail).toMatch(/Delete the token created around .*\. Keep the token created around/);
      expect(stackone.accounts.get('acc-1')).toMatchObject({ status: 'active', credentials: { api_token: second, organization_slug: 'acme' } });

      // The person deletes the old token; rotad sees it rejected and completes.
      const firstId = gladly.tokenId(EMAIL, first)!;
      await admin(gladly.url, 'DELETE', `/users/${EMAIL}/tokens/${firstId}`);
      await waitForEvent(daemon, 'revocation-confirmed');
      await daemon.waitFor((e) => e.msg === 'Rotation completed' && e.policy === 'gladly-prod', 20_000, 1);

      // Order seen by the servers: new token verified, then StackOne updated, then the old token rejected.
      const secondId = gladly.tokenId(EMAIL, second)!;
      const verified = gladly.calls.find((c) => c.as === secondId && c.path === '/api/v1/organization' && c.status === 200)!;
      const updated = stackone.calls.filter((c) => c.method === 'PATCH').at(-1)!;
      const rejected = gladly.calls.filter((c) => c.path === '/api/v1/organization' && c.status === 401).at(-1)!;
      expect(verified.seq).toBeLessThan(updated.seq);
      expect(updated.seq).toBeLessThan(rejected.seq);
      // While the person had not deleted it, the old token was checked and still accepted: never revoked early.
      expect(gladly.calls.some((c) => c.as === firstId && c.seq > updated.seq && c.status === 200)).toBe(true);
      const snapshot = await store.read({ name: 'gladly-prod' });
      expect(snapshot.current?.value.reveal()).toBe(second);
      expect(snapshot.previous?.revokedAt).toBeGreaterThan(0);
      expect((await runCli(['status', '--config', config], env)).stdout).not.toContain('waits for');
    } finally {
      expect((await daemon.stop()).code).toBe(0);
    }
    expectNoSecretsInOutput(secrets);
  });

  it('refuses a sandbox token for a production policy (the organization answering is checked)', async () => {
    const sandbox = await new GladlyServer('acme', 'sandbox').start();
    sandbox.addUser(EMAIL);
    try {
      const dir = await tempDir();
      const config = await writeSaasConfig(
        dir,
        `
  - name: gladly-prod
    provider: { type: gladly, organization: acme, environment: production, email: ${EMAIL}, baseUrl: "${sandbox.url}" }
    schedule: { every: 90d }`,
      );
      const daemon = DaemonProcess.start(config);
      try {
        await waitForEvent(daemon, 'action-required');
        const token = (await admin(sandbox.url, 'POST', `/users/${EMAIL}/tokens`)).token as string;
        secrets.push(token);
        const result = await runCli(['submit', 'gladly-prod', '--config', config], {}, token);
        expect(result.code).toBe(1);
        expect(result.stderr).toContain('belongs to https://acme.gladly.qa, not https://acme.gladly.com');
        const snapshot = await openStore({ type: 'file', path: `${dir}/state/secrets.enc`, key: { file: `${dir}/state/store.key` } }).read({
          name: 'gladly-prod',
        });
        expect(snapshot.pending).toBeUndefined();
        expect(snapshot.state.assist?.action).toBe('create');
      } finally {
        await daemon.stop();
      }
    } finally {
      await sandbox.stop();
    }
    expectNoSecretsInOutput(secrets);
  });
});

describe('gladly on OpenBao: the token handed over through the store with the bao CLI, then SIGUSR2', () => {
  it('takes the token from the hand-over path, destroys it there, and completes', async () => {
    const server = await new GladlyServer('acme').start();
    server.addUser(EMAIL);
    const dir = await tempDir();
    const store = await STORE_KINDS.find((k) => k.type === 'vault')!.options();
    const name = `gladly-${Date.now()}`;
    const config = await writeSaasConfig(
      dir,
      `
  - name: ${name}
    provider: { type: gladly, organization: acme, email: ${EMAIL}, baseUrl: "${server.url}" }
    schedule: { every: 90d }`,
      { ...store, handoverPath: 'rotad-handover/{policy}' },
    );
    const daemon = DaemonProcess.start(config);
    const { address, rootToken } = inject('servers').vault;
    const bao = (...args: string[]) =>
      promisify(execFile)(`${ROOT}.venv/bin/bao`, args, { env: { ...process.env, VAULT_ADDR: address, VAULT_TOKEN: rootToken } });
    try {
      await waitForEvent(daemon, 'action-required');
      const token = server.createToken(EMAIL).value;
      await bao('kv', 'put', '-mount=secret', `rotad-handover/${name}`, `value=${token}`);
      daemon.signal('SIGUSR2');
      await daemon.waitFor((e) => e.msg === 'Rotation completed');
      expect((await openStore(store).read({ name })).current?.value.reveal()).toBe(token);
      await expect(bao('kv', 'get', '-mount=secret', `rotad-handover/${name}`)).rejects.toThrow();
      expectNoSecretsInOutput([token]);
    } finally {
      await daemon.stop();
      await server.stop();
    }
  });
});
