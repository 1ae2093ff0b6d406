import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Secret } from '../../src/secret.js';
import { expectNoSecretsInOutput, runCli } from '../helpers/daemon.js';
import { writeSaasConfig } from '../helpers/saas.js';
import { openTestStore } from '../helpers/store.js';
import { tempDir } from '../helpers/workspace.js';
import { SANDBOX_STACKONE_KEY, startSandbox, type Sandbox } from '../sandbox/world.js';

type Result = { policy: string; part: string; name: string; result: string; detail: string };

describe('rotad check: a live, read-only preflight of every policy', () => {
  let sandbox: Sandbox;
  const secrets: string[] = [];
  beforeAll(async () => {
    sandbox = await startSandbox();
  });
  afterAll(async () => {
    await sandbox.stop();
    expectNoSecretsInOutput(secrets);
  });

  /** A Gladly policy whose current token is `token`, a StackOne account and a Gladly webhook as consumers. */
  async function workspace(token: string): Promise<{ dir: string; config: string }> {
    const dir = await tempDir();
    const config = await writeSaasConfig(
      dir,
      `
  - name: gladly-prod
    provider: { type: gladly, organization: acme, email: api-user@acme.example, baseUrl: "${sandbox.gladly.url}" }
    schedule: { every: 90d }
    consumers:
      - { type: stackone-account, accountId: acc-gladly, baseUrl: "${sandbox.stackone.url}", secretField: api_token }
  - name: webhook-secret
    provider: { type: random }
    schedule: { every: 30d }
    consumers:
      - { type: gladly-webhook, webhookId: wh-orders, auth: { policy: gladly-prod }, set: header, header: X-Secret, baseUrl: "${sandbox.gladly.url}" }
      - { type: exec, command: [no-such-command-anywhere] }`,
    );
    await mkdir(join(dir, 'state'), { recursive: true });
    await writeFile(join(dir, 'state/store.key'), randomBytes(32).toString('base64'), { mode: 0o600 });
    const store = openTestStore(dir);
    const ref = { name: 'gladly-prod' };
    await store.stagePending(ref, { value: new Secret(token), rotationId: '20261123T000000000Z-0000000000000001', createdAt: Date.now() });
    await store.promote(ref, '20261123T000000000Z-0000000000000001');
    await store.close();
    return { dir, config };
  }

  const check = async (config: string, env: Record<string, string>, ...args: string[]) => {
    const result = await runCli(['check', '--config', config, '--json', ...args], env);
    return { code: result.code, ...(JSON.parse(result.stdout) as { ok: boolean; results: Result[] }) };
  };
  const find = (results: Result[], policy: string, part: string) => results.filter((r) => r.policy === policy && r.part === part);

  it('passes what works, names what does not, and changes nothing applications read', async () => {
    const token = sandbox.gladly.createToken('api-user@acme.example').value;
    secrets.push(token);
    const { dir, config } = await workspace(token);
    const env = { STACKONE_API_KEY: SANDBOX_STACKONE_KEY };
    const before = await openTestStore(dir).read({ name: 'gladly-prod' });
    const calls = sandbox.stackone.calls.length;

    const first = await check(config, env);
    expect(first.code).toBe(1); // the exec consumer's command does not exist
    expect(find(first.results, 'gladly-prod', 'store')).toMatchObject([{ result: 'ok', detail: expect.stringContaining('written back unchanged') }]);
    expect(find(first.results, 'gladly-prod', 'provider')).toMatchObject([{ name: 'gladly', result: 'ok' }]);
    expect(find(first.results, 'gladly-prod', 'consumer')).toMatchObject([
      { name: 'stackone-account acc-gladly', result: 'ok', detail: 'account acc-gladly readable with the API key, status inactive' },
    ]);
    expect(find(first.results, 'webhook-secret', 'provider')).toMatchObject([
      { result: 'skipped', detail: 'no credential yet: the first rotation obtains one' },
    ]);
    expect(find(first.results, 'webhook-secret', 'consumer')).toMatchObject([
      { result: 'ok', detail: 'webhook wh-orders readable as api-user@acme.example (policy gladly-prod)' },
      { result: 'failed', detail: 'CONSUMER_FAILED: command no-such-command-anywhere not found or not executable on PATH' },
    ]);
    expect(first.results.filter((r) => r.part === 'notifier')).toMatchObject([{ name: 'log (log)', result: 'ok' }]);
    // Only reads reached StackOne; the store's current credential is the same.
    expect(sandbox.stackone.calls.slice(calls).every((c) => c.method === 'GET')).toBe(true);
    const after = await openTestStore(dir).read({ name: 'gladly-prod' });
    expect(after.current?.value.reveal()).toBe(before.current?.value.reveal());
    expect(after.state).toEqual(before.state);

    // Named policies only; all passing: exit 0, and the table for people.
    const named = await check(config, env, 'gladly-prod');
    expect(named).toMatchObject({ code: 0, ok: true });
    expect(new Set(named.results.map((r) => r.policy))).toEqual(new Set(['gladly-prod', '-']));
    const table = await runCli(['check', 'gladly-prod', '--config', config], env);
    expect(table.stdout).toMatch(/gladly-prod\s+provider\s+gladly\s+OK\s+the current credential/);
    expect(table.stdout).toContain('every check passed');

    // A token deleted at Gladly and a wrong StackOne key: each names its part and code.
    const id = sandbox.gladly.users.get('api-user@acme.example')!.tokens.find((t) => t.value === token)!.id;
    await fetch(`${sandbox.gladly.url}/_admin/users/api-user@acme.example/tokens/${id}`, { method: 'DELETE' });
    const broken = await check(config, { STACKONE_API_KEY: 'not-the-key' }, 'gladly-prod', 'webhook-secret');
    expect(broken.code).toBe(1);
    expect(find(broken.results, 'gladly-prod', 'provider')).toMatchObject([
      { result: 'failed', detail: expect.stringMatching(/^PROVIDER_REJECTED: Gladly .* answered 401/) },
    ]);
    expect(find(broken.results, 'gladly-prod', 'consumer')).toMatchObject([
      { result: 'failed', detail: expect.stringMatching(/^CONSUMER_FAILED: StackOne GET \/accounts\/acc-gladly answered 401/) },
    ]);
    expect(find(broken.results, 'webhook-secret', 'consumer')[0]).toMatchObject({ result: 'failed', detail: expect.stringMatching(/answered 401/) });
  });

  it('an unreachable store fails the store part, and the provider part says why it could not run', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'token'), 'a-token-for-nowhere');
    const config = await writeSaasConfig(
      dir,
      `
  - name: p
    provider: { type: random }
    schedule: { every: 30d }`,
      { type: 'vault', address: 'http://127.0.0.1:9', auth: { method: 'token', tokenFile: join(dir, 'token') }, timeout: '1s' },
    );
    const result = await check(config, {});
    expect(result.code).toBe(1);
    expect(find(result.results, 'p', 'store')).toMatchObject([{ result: 'failed', detail: expect.stringMatching(/^STORE_UNREACHABLE: /) }]);
    expect(find(result.results, 'p', 'provider')).toMatchObject([
      { result: 'skipped', detail: 'the store could not be read, so there is no credential to check' },
    ]);
  });
});
