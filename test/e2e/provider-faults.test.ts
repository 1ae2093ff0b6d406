import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DaemonProcess, expectNoSecretsInOutput, runCli } from '../helpers/daemon.js';
import { admin, waitForEvent, writeSaasConfig } from '../helpers/saas.js';
import { openStore } from '../helpers/store-kinds.js';
import { tempDir } from '../helpers/workspace.js';
import { CutoverServer } from '../adapters/providers/cutover/stand-in.js';
import { GladlyServer } from '../adapters/providers/gladly/stand-in.js';
import { GorgiasServer } from '../adapters/providers/gorgias/stand-in.js';
import { StackOneServer } from '../adapters/consumers/stackone-account/stand-in.js';
import { TokensApiServer } from '../adapters/providers/http/stand-in.js';

const fileStore = (dir: string) => openStore({ type: 'file', path: `${dir}/state/secrets.enc`, key: { file: `${dir}/state/store.key` } });
const attention = (daemon: DaemonProcess, policy: string, nth = 0) =>
  daemon.waitFor((e) => e.msg === 'Rotation needs attention' && e.policy === policy, 20_000, nth);
const completed = (daemon: DaemonProcess, nth = 0) => daemon.waitFor((e) => e.msg === 'Rotation completed', 20_000, nth);
const secrets: string[] = [];

describe('faults from each server end in a retry or a clear needs-attention, the old credential still working', () => {
  const gladly = new GladlyServer('acme');
  const gorgias = new GorgiasServer('acme');
  const cutover = new CutoverServer();
  const api = new TokensApiServer();
  const stackone = new StackOneServer('stackone-fault-key-91c3e7');
  beforeAll(async () => {
    await Promise.all([gladly.start(), gorgias.start(), cutover.start(), api.start(), stackone.start()]);
    gladly.addUser('api@acme.test');
    stackone.accounts.set('acc-9', { id: 'acc-9', provider: 'gladly', credentials: {}, status: 'active' });
  });
  afterAll(async () => {
    await Promise.all([gladly.stop(), gorgias.stop(), cutover.stop(), api.stop(), stackone.stop()]);
    expectNoSecretsInOutput(secrets);
  });

  it('http provider: garbage from create → PROVIDER_BAD_RESPONSE needs attention, current unchanged; 500s on verify → retried', async () => {
    const dir = await tempDir();
    const seed = api.create();
    secrets.push(seed.value);
    const config = await writeSaasConfig(
      dir,
      `
  - name: acme-api
    provider:
      type: http
      baseUrl: "${api.url}"
      bootstrapEnv: ACME_SEED
      create: { url: /v1/tokens, headers: { authorization: "Bearer {{current}}" }, response: { token: data.token, id: data.id } }
      verify: { url: /v1/me, headers: { authorization: "Bearer {{credential}}" } }
      revoke: { url: "/v1/tokens/{{credential.id}}", headers: { authorization: "Bearer {{current}}" } }
    schedule: { every: 30d }`,
    );
    const env = { ACME_SEED: seed.value };
    const daemon = DaemonProcess.start(config, env);
    try {
      await completed(daemon);
      const before = (await fileStore(dir).read({ name: 'acme-api' })).current!;
      secrets.push(before.value.reveal());
      await admin(api.url, 'POST', '/faults', { garbage: true, count: 3, match: 'POST /v1/tokens' });
      await runCli(['rotate', 'acme-api', '--config', config], env);
      const stuck = await attention(daemon, 'acme-api');
      expect(stuck).toMatchObject({ code: 'PROVIDER_BAD_RESPONSE', phase: 'obtain' });
      expect(String(stuck.reason)).toMatch(/POST \/v1\/tokens: expected a JSON body in the answer/);
      expect((await fileStore(dir).read({ name: 'acme-api' })).current?.rotationId).toBe(before.rotationId);
      expect(api.tokens.has(before.id!)).toBe(true);

      await admin(api.url, 'POST', '/faults', { status: 500, count: 2, match: 'GET /v1/me' });
      await runCli(['rotate', 'acme-api', '--config', config], env);
      await completed(daemon, 1);
      expect(daemon.entries.filter((e) => e.msg === 'Step failed, retrying' && e.phase === 'verify').length).toBeGreaterThanOrEqual(2);
      const after = await fileStore(dir).read({ name: 'acme-api' });
      secrets.push(after.current!.value.reveal());
      expect(api.tokens.has(before.id!)).toBe(false);
    } finally {
      await daemon.stop();
    }
  });

  it('cutover: a 500 storm on DELETE stops at revoke with both tokens valid; a timeout is retried; rotate resumes', async () => {
    const dir = await tempDir();
    const config = await writeSaasConfig(
      dir,
      `
  - name: cutover
    provider: { type: cutover, baseUrl: "${cutover.url}", userId: 5, userName: bot, timeout: 400ms }
    schedule: { every: 30d }`,
    );
    const daemon = DaemonProcess.start(config);
    const hand = async (nth: number) => {
      const label = /Label it exactly: (.+)/.exec(String((await waitForEvent(daemon, 'action-required', nth)).detail))![1]!;
      const token = cutover.createToken('5', label);
      secrets.push(token.value);
      expect((await runCli(['submit', 'cutover', '--config', config], {}, token.value)).code).toBe(0);
      return token;
    };
    try {
      const t1 = await hand(0);
      await completed(daemon);
      await admin(cutover.url, 'POST', '/faults', { status: 500, count: 3, match: 'DELETE' });
      await runCli(['rotate', 'cutover', '--config', config]);
      const t2 = await hand(1);
      expect(await attention(daemon, 'cutover')).toMatchObject({ code: 'PROVIDER_UNAVAILABLE', phase: 'revoke' });
      expect(cutover.users.get('5')!.map((t) => t.id)).toEqual([t1.id, t2.id]);
      expect((await fileStore(dir).read({ name: 'cutover' })).current?.id).toBe(t2.id);

      await admin(cutover.url, 'POST', '/faults', { delayMs: 1500, count: 1, match: 'DELETE' });
      await runCli(['rotate', 'cutover', '--config', config]);
      await completed(daemon, 1);
      expect(
        daemon.entries.some((e) => e.msg === 'Step failed, retrying' && String((e.error as { message?: string })?.message).includes('no answer within 400 ms')),
      ).toBe(true);
      expect(cutover.users.get('5')!.map((t) => t.id)).toEqual([t2.id]);
    } finally {
      await daemon.stop();
    }
  });

  it('gladly + a failing StackOne consumer: needs attention before any deletion is asked; 429 storms on submit are waited out', async () => {
    const dir = await tempDir();
    const config = await writeSaasConfig(
      dir,
      `
  - name: gladly
    provider: { type: gladly, organization: acme, email: api@acme.test, baseUrl: "${gladly.url}" }
    schedule: { every: 30d }
    consumers: [{ type: stackone-account, accountId: acc-9, baseUrl: "${stackone.url}", apiKeyEnv: SO_KEY }]`,
    );
    const env = { SO_KEY: 'stackone-fault-key-91c3e7' };
    secrets.push(env.SO_KEY);
    const daemon = DaemonProcess.start(config, env);
    const submit = async (nth: number) => {
      await waitForEvent(daemon, 'action-required', nth);
      const token = (await admin(gladly.url, 'POST', '/users/api@acme.test/tokens')).token as string;
      secrets.push(token);
      const result = await runCli(['submit', 'gladly', '--config', config], env, token);
      expect(result.code, result.stderr).toBe(0);
      return token;
    };
    try {
      const first = await submit(0);
      await completed(daemon);
      await admin(stackone.url, 'POST', '/faults', { status: 500, count: 3, match: 'PATCH' });
      await runCli(['rotate', 'gladly', '--config', config], env);
      // 429 without Retry-After (Gladly's way) on the submission's verification: waited out with jitter.
      await admin(gladly.url, 'POST', '/faults', {
        status: 429,
        count: 2,
        match: 'GET /api/v1/organization',
        headers: { 'ratelimit-limit-second': '10', 'ratelimit-remaining-second': '0' },
      });
      await submit(1);
      expect(await attention(daemon, 'gladly')).toMatchObject({ code: 'CONSUMER_FAILED', phase: 'consumers' });
      expect(daemon.entries.filter((e) => e.event === 'action-required')).toHaveLength(2); // no deletion asked
      expect(gladly.tokenId('api@acme.test', first)).toBeDefined(); // the old token still works
      await runCli(['rotate', 'gladly', '--config', config], env);
      expect((await waitForEvent(daemon, 'action-required', 2)).detail).toMatch(/Delete the token created around .*\. Keep the token created around/);
    } finally {
      await daemon.stop();
    }
  });

  it('gorgias: a 429 with Retry-after during the submission is honoured, then the key is accepted', async () => {
    const dir = await tempDir();
    const config = await writeSaasConfig(
      dir,
      `
  - name: gorgias
    provider: { type: gorgias, domain: acme, email: ops@acme.test, baseUrl: "${gorgias.url}" }
    schedule: { every: 30d }`,
    );
    const daemon = DaemonProcess.start(config);
    try {
      await waitForEvent(daemon, 'action-required');
      const key = gorgias.reset('ops@acme.test');
      secrets.push(key);
      await admin(gorgias.url, 'POST', '/faults', { status: 429, count: 1, headers: { 'retry-after': '1', 'x-gorgias-account-api-call-limit': '40/40' } });
      const started = Date.now();
      const result = await runCli(['submit', 'gorgias', '--config', config], {}, key);
      expect(result.code, result.stderr).toBe(0);
      expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
      await completed(daemon);
      // A key Gorgias does not know (401) is refused with the reason; nothing changes.
      await runCli(['rotate', 'gorgias', '--config', config]);
      await waitForEvent(daemon, 'action-required', 1);
      const stale = await runCli(['submit', 'gorgias', '--config', config], {}, 'not-the-key-0000000000');
      expect(stale.stderr).toMatch(
        /SUBMISSION_REFUSED: Gorgias did not accept this token: is it the REST API key of .*\nTechnical reason: Gorgias GET \/api\/account answered 401/,
      );
      expect((await fileStore(dir).read({ name: 'gorgias' })).current?.value.reveal()).toBe(key);
    } finally {
      await daemon.stop();
    }
  });
});
