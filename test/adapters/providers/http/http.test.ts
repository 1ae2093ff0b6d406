import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DaemonProcess, expectNoSecretsInOutput, runCli } from '../../../helpers/daemon.js';
import { writeSaasConfig } from '../../../helpers/saas.js';
import { openStore, STORE_KINDS } from '../../../helpers/store-kinds.js';
import { tempDir } from '../../../helpers/workspace.js';
import { TokensApiServer } from './stand-in.js';

describe('http provider: a SaaS with a token API, rotated without a person', () => {
  const api = new TokensApiServer();
  beforeAll(async () => {
    await api.start();
  });
  afterAll(async () => {
    await api.stop();
  });

  it('creates, verifies, copies to a second store (OpenBao), revokes the old token and confirms it rejected', async () => {
    const dir = await tempDir();
    const bootstrap = api.create();
    const mirrorPath = `mirror/${Date.now()}/acme`;
    const vault = await STORE_KINDS.find((k) => k.type === 'vault')!.options();
    const config = await writeSaasConfig(
      dir,
      `
  - name: acme-api
    provider:
      type: http
      name: Acme API
      baseUrl: "${api.url}"
      bootstrapEnv: ACME_BOOTSTRAP_TOKEN
      vars: { team: platform }
      create:
        url: /v1/tokens
        headers: { authorization: "Bearer {{current}}" }
        body: { name: "rotad {{policy}} {{rotationId}}", team: "{{vars.team}}" }
        response: { token: data.token, id: data.id, expiresAt: data.expires_at }
      verify: { url: /v1/me, headers: { authorization: "Bearer {{credential}}" } }
      revoke: { url: "/v1/tokens/{{credential.id}}", headers: { authorization: "Bearer {{current}}" } }
    schedule: { every: 30d }
    rotateOnSignal: true
    consumers:
      - { type: store, store: vault, path: "${mirrorPath}" }`,
      undefined,
      `  vault: ${JSON.stringify(vault)}`,
    );
    const env = { ACME_BOOTSTRAP_TOKEN: bootstrap.value };
    const daemon = DaemonProcess.start(config, env);
    const secrets = [bootstrap.value];
    try {
      await daemon.waitFor((e) => e.msg === 'Rotation completed');
      daemon.signal('SIGUSR2');
      await daemon.waitFor((e) => e.msg === 'Rotation completed', 20_000, 1);
      const local = await openStore({ type: 'file', path: `${dir}/state/secrets.enc`, key: { file: `${dir}/state/store.key` } }).read({ name: 'acme-api' });
      const [first, second] = [local.previous!, local.current!];
      secrets.push(first.value.reveal(), second.value.reveal());
      expect(second.expiresAt).toBe(Date.parse(api.tokens.get(second.id!)!.expiresAt));
      // The old token was deleted with the new one, then seen rejected; only the new one is live.
      expect(api.tokens.has(first.id!)).toBe(false);
      expect(api.seen('DELETE', `/v1/tokens/${first.id}`)[0]).toMatchObject({ status: 204, as: second.id });
      expect(first.revokedAt).toBeGreaterThan(0);
      const verified = api.calls.find((c) => c.path === '/v1/me' && c.as === second.id)!;
      const deleted = api.seen('DELETE', `/v1/tokens/${first.id}`)[0]!;
      expect(verified.seq).toBeLessThan(deleted.seq);
      // The second store holds the same current credential.
      const mirror = await openStore(vault).read({ name: 'acme-api', path: mirrorPath });
      expect(mirror.current?.value.reveal()).toBe(second.value.reveal());
      const plan = await runCli(['plan', '--config', config], env);
      expect(plan.stdout).toContain('POST /v1/tokens');
    } finally {
      expect((await daemon.stop()).code).toBe(0);
    }
    expectNoSecretsInOutput(secrets);
  });

  it('a secret in a URL template is refused at load, with file:line:col', async () => {
    const dir = await tempDir();
    const config = await writeSaasConfig(
      dir,
      `
  - name: acme-api
    provider:
      type: http
      baseUrl: "${api.url}"
      create: { url: "/v1/tokens?auth={{current}}", response: { token: token } }
      verify: { url: /v1/me, headers: { authorization: "Bearer {{credential}}" } }
    schedule: { every: 30d }`,
    );
    const result = await runCli(['validate', '--config', config]);
    expect(result.code).toBe(2);
    expect(result.stderr + result.stdout).toMatch(
      /rotad\.yaml:\d+:\d+: policies\[0\]\.provider\.create\.url: \{\{current\}\} is a secret and may not appear in a URL/,
    );
  });
});
