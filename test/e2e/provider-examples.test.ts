import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DaemonProcess, expectNoSecretsInOutput, runCli } from '../helpers/daemon.js';
import { randomBytes } from 'node:crypto';
import { freePort } from '../helpers/ports.js';
import { waitForEvent } from '../helpers/saas.js';
import { eventually, HttpSink } from '../helpers/sinks.js';
import { tempDir } from '../helpers/workspace.js';
import { SANDBOX_STACKONE_KEY as STACKONE_KEY, startSandbox, type Sandbox } from '../sandbox/world.js';

const secrets: string[] = [STACKONE_KEY];

/** Starts an example config as shipped, with the test servers' base URLs in the environment. */
async function startExample(file: string, env: Record<string, string>): Promise<{ daemon: DaemonProcess; env: Record<string, string> }> {
  const full = { ...env, ROTAD_STATE_DIR: await tempDir(), ROTAD_HEALTH_PORT: '0' };
  return { daemon: DaemonProcess.start(file, full), env: full };
}

const completed = (daemon: DaemonProcess, policy: string) => daemon.waitFor((e) => e.msg === 'Rotation completed' && e.policy === policy, 20_000);

async function submit(file: string, env: Record<string, string>, policy: string, token: string): Promise<void> {
  secrets.push(token);
  const result = await runCli(['submit', policy, '--config', file], env, token);
  expect(result.code, result.stderr).toBe(0);
}

describe('the provider and consumer examples run as they are in the sandbox (npm run sandbox, on free ports)', () => {
  let sandbox: Sandbox;
  let gladly: Sandbox['gladly'];
  let gorgias: Sandbox['gorgias'];
  let cutover: Sandbox['cutover'];
  let stackone: Sandbox['stackone'];
  let acme: Sandbox['acme'];
  beforeAll(async () => {
    sandbox = await startSandbox();
    ({ gladly, gorgias, cutover, stackone, acme } = sandbox);
  });
  afterAll(async () => {
    await sandbox.stop();
    expectNoSecretsInOutput(secrets);
  });

  it('gladly.yaml and stackone-account.yaml', async () => {
    for (const [file, policy, user] of [
      ['config/examples/gladly.yaml', 'gladly-prod', 'api-user@acme.example'],
      ['config/examples/stackone-account.yaml', 'gladly-for-stackone', 'stackone@acme.example'],
    ] as const) {
      const { daemon, env } = await startExample(file, { GLADLY_BASE_URL: gladly.url, STACKONE_BASE_URL: stackone.url, STACKONE_API_KEY: STACKONE_KEY });
      try {
        await waitForEvent(daemon, 'action-required');
        await submit(file, env, policy, gladly.createToken(user).value);
        await completed(daemon, policy);
        expect(stackone.accounts.get('acc-gladly')).toMatchObject({ status: 'active' });
      } finally {
        expect((await daemon.stop()).code).toBe(0);
      }
    }
  });

  it('handover-page.yaml: the link in the Slack message takes the token; the CLI reaches the daemon with --server', async () => {
    const slack = await new HttpSink().start();
    const port = await freePort();
    const opsToken = randomBytes(32).toString('hex');
    secrets.push(opsToken);
    const file = 'config/examples/handover-page.yaml';
    const { daemon } = await startExample(file, {
      GLADLY_BASE_URL: gladly.url,
      SLACK_WEBHOOK_URL: slack.url,
      ROTAD_OPS_TOKEN: opsToken,
      ROTAD_API_PORT: String(port),
      ROTAD_PUBLIC_URL: `http://127.0.0.1:${port}`,
    });
    try {
      await eventually(() => slack.received.length > 0, 20_000);
      const message = JSON.stringify(slack.json()[0]);
      const link = /<(http:\/\/127\.0\.0\.1:\d+\/handover\/[^|#]+#[^|]+)\|Open the one-time hand-over page>/.exec(message)?.[1];
      expect(link, message).toBeDefined();
      const [address, secret] = link!.split('#');
      const token = gladly.createToken('api-user@acme.example').value;
      secrets.push(token);
      const answer = await fetch(address!, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ secret, token }) });
      expect(answer.status).toBe(200);
      await completed(daemon, 'gladly-prod');
      const status = await runCli(['status', '--server', `http://127.0.0.1:${port}`, '--json'], { ROTAD_API_TOKEN: opsToken });
      expect(JSON.parse(status.stdout)).toMatchObject([{ policy: 'gladly-prod', phase: 'idle' }]);
    } finally {
      expect((await daemon.stop()).code).toBe(0);
      await slack.stop();
    }
  });

  it('gladly-webhook.yaml', async () => {
    const file = 'config/examples/gladly-webhook.yaml';
    const { daemon, env } = await startExample(file, { GLADLY_BASE_URL: gladly.url });
    try {
      await waitForEvent(daemon, 'action-required');
      await submit(file, env, 'gladly-prod', gladly.createToken('api-user@acme.example').value);
      await completed(daemon, 'gladly-prod');
      await runCli(['rotate', 'gladly-webhook-password', '--config', file], env);
      await completed(daemon, 'gladly-webhook-password');
      expect(gladly.webhooks.get('wh-orders')?.credentials?.username).toBe('gladly');
      secrets.push(gladly.webhooks.get('wh-orders')!.credentials!.password);
    } finally {
      expect((await daemon.stop()).code).toBe(0);
    }
  });

  it('gorgias.yaml', async () => {
    const file = 'config/examples/gorgias.yaml';
    const { daemon, env } = await startExample(file, { GORGIAS_BASE_URL: gorgias.url });
    try {
      await waitForEvent(daemon, 'action-required', 1);
      await submit(file, env, 'gorgias-support', gorgias.reset('api-a@acme.example'));
      await submit(file, env, 'gorgias-reports', gorgias.reset('reports@acme.example'));
      await completed(daemon, 'gorgias-support');
      await completed(daemon, 'gorgias-reports');
    } finally {
      expect((await daemon.stop()).code).toBe(0);
    }
  });

  it('cutover.yaml', async () => {
    const file = 'config/examples/cutover.yaml';
    const { daemon, env } = await startExample(file, { CUTOVER_BASE_URL: cutover.url });
    try {
      const label = /Label it exactly: (.+)/.exec(String((await waitForEvent(daemon, 'action-required')).detail))![1]!;
      await submit(file, env, 'cutover-runbooks', cutover.createToken('42', label, 30).value);
      await completed(daemon, 'cutover-runbooks');
    } finally {
      expect((await daemon.stop()).code).toBe(0);
    }
  });

  it('http.yaml and store.yaml', async () => {
    const bootstrap = acme.create().value;
    secrets.push(bootstrap);
    const http = await startExample('config/examples/http.yaml', { ACME_BASE_URL: acme.url, ACME_BOOTSTRAP_TOKEN: bootstrap });
    try {
      await completed(http.daemon, 'acme-api');
    } finally {
      expect((await http.daemon.stop()).code).toBe(0);
    }
    const { address, rootToken } = inject('servers').vault;
    const store = await startExample('config/examples/store.yaml', { VAULT_ADDR: address, VAULT_TOKEN: rootToken });
    try {
      await completed(store.daemon, 'shared-signing-key');
      const mirrored = await fetch(`${address}/v1/secret/data/rotad/mirror/shared-signing-key`, { headers: { 'x-vault-token': rootToken } });
      const value = ((await mirrored.json()) as { data: { data: { value: string } } }).data.data.value;
      expect(value).toMatch(/^[0-9a-f]{64}$/);
      secrets.push(value);
    } finally {
      expect((await store.daemon.stop()).code).toBe(0);
    }
  });
});
