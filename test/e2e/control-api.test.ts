import { existsSync } from 'node:fs';
import { readFile, unlink, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiCall, writeApiConfig, type ApiSetup } from '../helpers/api.js';
import { DaemonProcess, expectNoSecretsInOutput, runCli } from '../helpers/daemon.js';
import { admin } from '../helpers/saas.js';
import { eventually, HttpSink } from '../helpers/sinks.js';
import { tempDir } from '../helpers/workspace.js';
import { GladlyServer } from '../adapters/providers/gladly/stand-in.js';

const EMAIL = 'api-user@acme.test';
const ENV = { INBOX_SECRET: 'inbox-signing-secret-7c1e' };

/** Each endpoint, the scope it needs, and a body it accepts. */
const ENDPOINTS: Array<{ method: 'GET' | 'POST'; path: string; scope: string; body?: string }> = [
  { method: 'GET', path: '/v1/policies', scope: 'read' },
  { method: 'GET', path: '/v1/policies/heartbeat', scope: 'read' },
  { method: 'POST', path: '/v1/policies/heartbeat/rotate', scope: 'rotate', body: '{}' },
  { method: 'POST', path: '/v1/policies/gladly-prod/submit', scope: 'submit', body: '{"token":"not-checked-before-auth"}' },
  { method: 'POST', path: '/v1/policies/heartbeat/rollback', scope: 'rollback', body: '{}' },
];

/** Starts the Gladly stand-in and the inbox, then a daemon with the API (`api` adds to daemon.api). */
async function startWorld(gladly: GladlyServer, inbox: HttpSink, api: string): Promise<{ dir: string; setup: ApiSetup; daemon: DaemonProcess }> {
  await gladly.start();
  gladly.addUser(EMAIL);
  await inbox.start();
  const dir = await tempDir();
  const setup = await writeApiConfig(dir, { gladlyUrl: gladly.url, email: EMAIL, webhookUrl: `${inbox.url}/events`, api });
  const daemon = DaemonProcess.start(setup.config, ENV);
  await daemon.waitForMessage('Control API listening');
  return { dir, setup, daemon };
}

/** Stops what startWorld started; the daemon must exit 0, and no secret may have reached any output. */
async function stopWorld(gladly: GladlyServer, inbox: HttpSink, daemon: DaemonProcess, secrets: readonly string[]): Promise<void> {
  expect((await daemon.stop()).code).toBe(0);
  await gladly.stop();
  await inbox.stop();
  expectNoSecretsInOutput(secrets);
}

describe('control API: authentication, scopes, bodies, rate limits, and the --server CLI', () => {
  const gladly = new GladlyServer('acme');
  const inbox = new HttpSink();
  let setup: ApiSetup;
  let daemon: DaemonProcess;
  let dir: string;
  const secrets: string[] = [ENV.INBOX_SECRET];

  beforeAll(async () => {
    ({ dir, setup, daemon } = await startWorld(gladly, inbox, 'requestsPerMinute: 200'));
    secrets.push(...setup.secrets);
  });
  afterAll(() => stopWorld(gladly, inbox, daemon, secrets));

  it('refuses every endpoint without a token (401), with a wrong token (401) and with a token lacking the scope (403)', async () => {
    const { base, tokens } = setup;
    const lacking: Record<string, string> = { read: tokens.rotator, rotate: tokens.reader, submit: tokens.reader, rollback: tokens.submitter };
    for (const endpoint of ENDPOINTS) {
      const none = await apiCall(base, endpoint.method, endpoint.path, { body: endpoint.body });
      expect(none.status, `${endpoint.path} without a token`).toBe(401);
      expect(none.body.code).toBe('API_UNAUTHORIZED');
      const wrong = await apiCall(base, endpoint.method, endpoint.path, { body: endpoint.body, token: `${tokens.admin.slice(0, -1)}x` });
      expect(wrong.status, `${endpoint.path} with a wrong token`).toBe(401);
      const scoped = await apiCall(base, endpoint.method, endpoint.path, { body: endpoint.body, token: lacking[endpoint.scope] });
      expect(scoped.status, `${endpoint.path} without scope ${endpoint.scope}`).toBe(403);
      expect(scoped.body).toMatchObject({ code: 'API_FORBIDDEN' });
      expect(String(scoped.body.message)).toContain(`lacks the scope ${endpoint.scope}`);
      expect(none.headers.get('cache-control')).toBe('no-store');
    }
    // Nothing was requested by any refused call.
    expect(daemon.entries.filter((e) => e.type === 'audit' && e.outcome === 'requested')).toHaveLength(0);
  });

  it('answers oversized, malformed, mistyped and unknown-field bodies with REQUEST_INVALID, naming no value', async () => {
    const { base, tokens } = setup;
    const submit = '/v1/policies/gladly-prod/submit';
    const big = await apiCall(base, 'POST', submit, { token: tokens.admin, body: JSON.stringify({ token: 'x'.repeat(20_000) }) });
    expect(big.status).toBe(413);
    expect(big.body.code).toBe('REQUEST_INVALID');
    const malformed = await apiCall(base, 'POST', submit, { token: tokens.admin, body: '{"token": ' });
    expect(malformed.status).toBe(400);
    expect(malformed.body.code).toBe('REQUEST_INVALID');
    const form = await apiCall(base, 'POST', submit, { token: tokens.admin, body: 'token=abc', contentType: 'application/x-www-form-urlencoded' });
    expect(form.status).toBe(415);
    const typed = await apiCall(base, 'POST', submit, { token: tokens.admin, body: '{"token": 12345}' });
    expect(typed.status).toBe(400);
    expect(String(typed.body.message)).toMatch(/^invalid request body: token: /);
    const extra = await apiCall(base, 'POST', submit, { token: tokens.admin, body: '{"token":"abcdefabcdef","tokne":"secret-typo-value"}' });
    expect(extra.status).toBe(400);
    expect(String(extra.body.message)).toContain('unknown field(s) tokne');
    expect(JSON.stringify(extra.body)).not.toContain('secret-typo-value');
    // POSTs to one hand-over link are limited (10 a minute) below the per-client limit.
    const link = '/handover/gladly-prod.AAAAAAAAAAAAAAAA';
    const posts = [];
    for (let i = 0; i < 12; i += 1) posts.push(await apiCall(base, 'POST', link, { body: JSON.stringify({ secret: 's', token: 't' }) }));
    expect(posts.slice(0, 10).map((p) => p.status)).toEqual(Array(10).fill(410));
    expect(posts.slice(10).map((p) => p.body.code)).toEqual(['RATE_LIMITED', 'RATE_LIMITED']);
    const unknown = await apiCall(base, 'GET', '/v1/policies/nope', { token: tokens.reader });
    expect(unknown.status).toBe(404);
    expect(unknown.body.code).toBe('POLICY_NOT_FOUND');
  });

  it('serves status, rotation requests, hand-over and rollback, recording the token name in the audit trail', async () => {
    const { base, tokens } = setup;
    const all = await apiCall(base, 'GET', '/v1/policies', { token: tokens.reader });
    expect(all.status).toBe(200);
    const rows = all.body.policies as Array<{ policy: string; phase: string; waitingFor?: { account: string } }>;
    expect(rows.map((r) => r.policy)).toEqual(['gladly-prod', 'heartbeat']);
    // The same data as rotad status --json (the first rotation of the Gladly policy waits for a person).
    const local = JSON.parse((await runCli(['status', '--json', '--config', setup.config], ENV)).stdout) as Array<{
      policy: string;
      phase: string;
      waitingFor?: unknown;
    }>;
    expect(rows.map((r) => r.policy)).toEqual(local.map((r) => r.policy));
    expect(rows[0]!.waitingFor).toEqual(local[0]!.waitingFor);

    // A rotation request from CI for the manual Gladly policy: the daemon asks a person.
    const requested = await apiCall(base, 'POST', '/v1/policies/gladly-prod/rotate', { token: tokens.rotator, body: '{}' });
    expect(requested).toMatchObject({ status: 200, body: { policy: 'gladly-prod', requested: true } });
    await daemon.waitFor((e) => e.msg === 'Rotation event' && e.event === 'action-required' && e.policy === 'gladly-prod');
    const one = await apiCall(base, 'GET', '/v1/policies/gladly-prod', { token: tokens.reader });
    expect(one.body).toMatchObject({ policy: 'gladly-prod', phase: 'obtain', waitingFor: { account: EMAIL, action: 'create' } });

    // A wrong token is refused with the provider's reason; the request stays open.
    const wrong = await apiCall(base, 'POST', '/v1/policies/gladly-prod/submit', { token: tokens.submitter, body: JSON.stringify({ token: 'f'.repeat(40) }) });
    expect(wrong.status).toBe(422);
    expect(wrong.body.code).toBe('SUBMISSION_REFUSED');
    expect(String(wrong.body.message)).toContain('401');
    const token = (await admin(gladly.url, 'POST', `/users/${EMAIL}/tokens`)).token as string;
    secrets.push(token);
    const accepted = await apiCall(base, 'POST', '/v1/policies/gladly-prod/submit', { token: tokens.submitter, body: JSON.stringify({ token }) });
    expect(accepted).toMatchObject({ status: 200, body: { accepted: true } });
    await daemon.waitFor((e) => e.msg === 'Rotation completed' && e.policy === 'gladly-prod');

    // Rollback of the heartbeat policy once it has rotated twice (a previous credential to restore).
    await daemon.waitFor((e) => e.msg === 'Rotation completed' && e.policy === 'heartbeat', 20_000, 1);
    let rolled;
    for (let attempt = 0; attempt < 20; attempt += 1) {
      rolled = await apiCall(base, 'POST', '/v1/policies/heartbeat/rollback', { token: tokens.admin, body: '{}' });
      if (rolled.status !== 409 || rolled.body.code !== 'ROTATION_IN_PROGRESS') break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(rolled?.status, JSON.stringify(rolled?.body)).toBe(200);
    expect(rolled?.body.action).toBe('rolled-back');
    await daemon.waitFor((e) => e.msg === 'Rotation rolled back' && e.policy === 'heartbeat');

    const readAudit = async (): Promise<Array<Record<string, unknown>>> =>
      (await readFile(join(dir, 'audit.jsonl'), 'utf8'))
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as Record<string, unknown>);
    await eventually(async () => (await readAudit()).some((e) => e.phase === 'rollback'));
    const audit = await readAudit();
    expect(audit).toContainEqual(expect.objectContaining({ policy: 'gladly-prod', phase: 'request', outcome: 'requested', actor: 'api:ci-rotate' }));
    expect(audit).toContainEqual(expect.objectContaining({ policy: 'gladly-prod', phase: 'obtain', outcome: 'refused', actor: 'api:support-bot' }));
    expect(audit).toContainEqual(expect.objectContaining({ policy: 'gladly-prod', phase: 'obtain', outcome: 'handed-over', actor: 'api:support-bot' }));
    expect(audit).toContainEqual(expect.objectContaining({ policy: 'heartbeat', phase: 'rollback', outcome: 'rolled-back', actor: 'api:ops-admin' }));
  });

  it('rotad status, rotate, submit and rollback --server talk to the daemon with no config file', async () => {
    const { base, tokens } = setup;
    const env = { ...ENV, ROTAD_API_TOKEN: tokens.admin };
    const status = await runCli(['status', '--server', base, '--json'], env);
    expect(status.code, status.stderr).toBe(0);
    expect((JSON.parse(status.stdout) as Array<{ policy: string }>).map((r) => r.policy)).toEqual(['gladly-prod', 'heartbeat']);
    const table = await runCli(['status', '--server', base], env);
    expect(table.stdout).toMatch(/^POLICY\s+PHASE/);

    const rotate = await runCli(['rotate', 'gladly-prod', '--server', base], env);
    expect(rotate.code, rotate.stderr).toBe(0);
    expect(rotate.stdout).toContain('gladly-prod: rotation requested');
    await daemon.waitFor((e) => e.msg === 'Rotation event' && e.event === 'action-required' && e.policy === 'gladly-prod', 20_000, 1);

    const refused = await runCli(['submit', 'gladly-prod', '--server', base], env, `${'e'.repeat(40)}\n`);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/SUBMISSION_REFUSED: Gladly did not accept this token: .*\nTechnical reason: .*401/);
    const token = (await admin(gladly.url, 'POST', `/users/${EMAIL}/tokens`)).token as string;
    secrets.push(token);
    const submitted = await runCli(['submit', 'gladly-prod', '--server', base, '--token-file', join(dir, 'admin.token')], ENV, `${token}\n`);
    expect(submitted.code, submitted.stderr).toBe(0);
    expect(submitted.stdout).toContain('token accepted');
    // The old token is still live at Gladly: the rotation waits for a person to delete it. Roll back instead.
    await daemon.waitFor(
      (e) => e.msg === 'Rotation event' && e.event === 'action-required' && e.policy === 'gladly-prod' && String(e.detail).includes('Delete'),
      20_000,
    );
    // The daemon gives up its lease before this line; its later looks hold it for a moment, which a rollback waits out.
    await daemon.waitFor((e) => e.msg === 'Rotation waiting' && e.policy === 'gladly-prod' && e.phase === 'revoke', 20_000);
    const rolled = await runCli(['rollback', 'gladly-prod', '--server', base], env);
    expect(rolled.code, rolled.stderr).toBe(0);
    expect(rolled.stdout).toMatch(/^gladly-prod: previous credential \(rotation \S+\) is current again/);
    await daemon.waitFor((e) => e.msg === 'Rotation rolled back' && e.policy === 'gladly-prod');
    // The person is told not to delete the older token after all, and asked to delete the handed-over one instead.
    await daemon.waitFor((e) => e.msg === 'Rotation event' && e.event === 'request-withdrawn' && String(e.detail).includes('do NOT delete it'), 20_000);
    const after = JSON.parse((await runCli(['status', '--server', base, '--json'], env)).stdout) as Array<{ policy: string; phase: string }>;
    expect(['grace', 'revoke']).toContain(after.find((r) => r.policy === 'gladly-prod')?.phase);

    const noToken = await runCli(['status', '--server', base], ENV);
    expect(noToken.code).toBe(2);
    expect(noToken.stderr).toContain('USAGE_INVALID: --server needs an API token');
    const reader = await runCli(['rotate', 'heartbeat', '--server', base], { ...ENV, ROTAD_API_TOKEN: tokens.reader });
    expect(reader.code).toBe(1);
    expect(reader.stderr).toContain('API_FORBIDDEN: token dashboard lacks the scope rotate');
    const down = await runCli(['status', '--server', 'http://127.0.0.1:1'], env);
    expect(down.code).toBe(1);
    expect(down.stderr).toContain('SERVER_UNREACHABLE: cannot reach http://127.0.0.1:1: ECONNREFUSED');
  });
});

describe('control API under a burst of wrong tokens', () => {
  const gladly = new GladlyServer('acme');
  const inbox = new HttpSink();
  let setup: ApiSetup;
  let daemon: DaemonProcess;

  beforeAll(async () => {
    ({ setup, daemon } = await startWorld(gladly, inbox, 'requestsPerMinute: 30'));
  });
  afterAll(() => stopWorld(gladly, inbox, daemon, setup.secrets));

  it('rate-limits 100 rapid wrong tokens per client while the daemon keeps rotating', async () => {
    const { base } = setup;
    await daemon.waitFor((e) => e.msg === 'Rotation completed' && e.policy === 'heartbeat');
    const before = daemon.entries.filter((e) => e.msg === 'Rotation completed' && e.policy === 'heartbeat').length;
    const answers = await Promise.all(
      Array.from({ length: 100 }, (_, i) => apiCall(base, 'GET', '/v1/policies', { token: `wrong-token-${i}-0123456789abcdef` })),
    );
    const limited = answers.filter((a) => a.status === 429);
    expect(answers.filter((a) => a.status === 401).length).toBeGreaterThan(0);
    expect(limited.length).toBeGreaterThan(0);
    expect(limited[0]!.body.code).toBe('RATE_LIMITED');
    expect(Number(limited[0]!.headers.get('retry-after'))).toBeGreaterThan(0);
    // A forged X-Forwarded-For does not make another client (no proxy is trusted by default).
    const forged = await fetch(`${base}/v1/policies`, { headers: { authorization: 'Bearer wrong-token-0123456789abcdef', 'x-forwarded-for': '10.9.9.9' } });
    expect(forged.status).toBe(429);
    // The daemon goes on with its work meanwhile.
    await daemon.waitFor((e) => e.msg === 'Rotation completed' && e.policy === 'heartbeat', 20_000, before);
  });
});

describe('control API settings a daemon cannot start with', () => {
  it('names the missing token file, and the taken port, and leaves no pid file', async () => {
    const dir = await tempDir();
    const setup = await writeApiConfig(dir, { gladlyUrl: 'http://127.0.0.1:1', email: EMAIL, webhookUrl: 'http://127.0.0.1:1/events' });
    await unlink(join(dir, 'reader.token'));
    const missing = DaemonProcess.start(setup.config, ENV);
    expect((await missing.exited).code).toBe(1);
    const fatal = missing.entries.find((e) => e.msg === 'Cannot start');
    expect((fatal?.error as { message?: string }).message).toBe(`daemon.api.tokens dashboard: cannot read ${join(dir, 'reader.token')} (ENOENT)`);
    expect(existsSync(join(dir, 'state', 'rotad.pid'))).toBe(false);

    await writeFile(join(dir, 'reader.token'), 'a-valid-reader-token-0123456789\n');
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(setup.port, '127.0.0.1', resolve));
    try {
      const taken = DaemonProcess.start(setup.config, ENV);
      expect((await taken.exited).code).toBe(1);
      const message = (taken.entries.find((e) => e.msg === 'Cannot start')?.error as { message?: string }).message;
      expect(message).toBe(
        `daemon.api.port ${setup.port} on 127.0.0.1 is already in use (EADDRINUSE): another process (another rotad?) listens there; stop it, or set daemon.api.port to a free port (the example configs read it from ROTAD_API_PORT)`,
      );
      expect(existsSync(join(dir, 'state', 'rotad.pid'))).toBe(false);
    } finally {
      blocker.close();
    }
    expectNoSecretsInOutput(setup.secrets);
  });
});
