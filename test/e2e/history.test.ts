import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiCall, writeApiConfig, type ApiSetup } from '../helpers/api.js';
import { DaemonProcess, expectNoSecretsInOutput, runCli } from '../helpers/daemon.js';
import { admin } from '../helpers/saas.js';
import { eventually, HttpSink } from '../helpers/sinks.js';
import { tempDir } from '../helpers/workspace.js';
import { GladlyServer } from '../adapters/providers/gladly/stand-in.js';

const EMAIL = 'history-user@acme.test';
const ENV = { INBOX_SECRET: 'inbox-signing-secret-history-5d2a' };

interface Row {
  rotationId: string;
  outcome: string;
  trigger?: string;
  actor?: string;
  endedBy?: string;
  startedAt?: string;
  endedAt: string;
  phases: Array<{ phase: string; at: string }>;
  asked: Array<{ action: string; account?: string }>;
  handedOverBy?: string;
  fingerprints?: { new?: string; old?: string };
}

describe('history: every ended rotation, kept in the store, the same through the CLI and the API, across restarts', () => {
  const gladly = new GladlyServer('acme');
  const inbox = new HttpSink();
  let setup: ApiSetup;
  let dir: string;
  let daemon: DaemonProcess;
  const secrets: string[] = [ENV.INBOX_SECRET];

  beforeAll(async () => {
    await gladly.start();
    gladly.addUser(EMAIL);
    await inbox.start();
    dir = await tempDir();
    setup = await writeApiConfig(dir, { gladlyUrl: gladly.url, email: EMAIL, webhookUrl: `${inbox.url}/events` });
    secrets.push(...setup.secrets);
    daemon = DaemonProcess.start(setup.config, ENV);
    await daemon.waitForMessage('Control API listening');
  });
  afterAll(async () => {
    expect((await daemon.stop()).code).toBe(0);
    await gladly.stop();
    await inbox.stop();
    expectNoSecretsInOutput(secrets);
  });

  const handOver = async (): Promise<string> => {
    const token = (await admin(gladly.url, 'POST', `/users/${EMAIL}/tokens`)).token as string;
    secrets.push(token);
    const accepted = await apiCall(setup.base, 'POST', '/v1/policies/gladly-prod/submit', { token: setup.tokens.submitter, body: JSON.stringify({ token }) });
    expect(accepted).toMatchObject({ status: 200, body: { accepted: true } });
    return token;
  };

  it('records who started, who was asked, who handed over, each phase and the fingerprints; rollbacks name who', async () => {
    const { base, tokens } = setup;
    // The first rotation (initial) asks for a token; the second is asked for by CI through the API.
    await daemon.waitFor((e) => e.msg === 'Rotation event' && e.event === 'action-required' && e.policy === 'gladly-prod');
    const first = await handOver();
    await daemon.waitFor((e) => e.msg === 'Rotation completed' && e.policy === 'gladly-prod');
    expect(await apiCall(base, 'POST', '/v1/policies/gladly-prod/rotate', { token: tokens.rotator, body: '{}' })).toMatchObject({ status: 200 });
    await daemon.waitFor((e) => e.msg === 'Rotation event' && e.event === 'action-required' && e.policy === 'gladly-prod', 20_000, 1);
    await handOver();
    // Then rotad asks for the old token's deletion; a person deletes it in the "UI".
    await daemon.waitFor((e) => e.msg === 'Waiting for a person' && e.policy === 'gladly-prod' && e.action === 'delete', 20_000);
    await admin(gladly.url, 'DELETE', `/users/${EMAIL}/tokens/${gladly.tokenId(EMAIL, first)}`);
    await daemon.waitFor((e) => e.msg === 'Rotation completed' && e.policy === 'gladly-prod', 20_000, 1);

    // heartbeat: two scheduled rotations, then a rollback by an API token.
    await daemon.waitFor((e) => e.msg === 'Rotation completed' && e.policy === 'heartbeat', 20_000, 1);
    let rolled;
    for (let attempt = 0; attempt < 40; attempt += 1) {
      rolled = await apiCall(base, 'POST', '/v1/policies/heartbeat/rollback', { token: tokens.admin, body: '{}' });
      if (rolled.status !== 409) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(rolled?.status, JSON.stringify(rolled?.body)).toBe(200);

    const viaApi = await apiCall(base, 'GET', '/v1/policies/gladly-prod/history', { token: tokens.reader });
    expect(viaApi.status).toBe(200);
    const rows = viaApi.body.rotations as Row[];
    expect(rows.map((r) => [r.outcome, r.trigger, r.actor])).toEqual([
      ['succeeded', 'cli', 'api:ci-rotate'],
      ['succeeded', 'initial', 'schedule'],
    ]);
    const [second, initial] = rows as [Row, Row];
    expect(second.handedOverBy).toBe('api:support-bot');
    expect(second.asked.map((a) => [a.action, a.account])).toEqual([
      ['create', EMAIL],
      ['delete', EMAIL],
    ]);
    expect(initial.asked.map((a) => a.action)).toEqual(['create']);
    expect(second.phases.map((p) => p.phase)).toEqual(['obtain', 'verify', 'promote', 'consumers', 'grace', 'revoke', 'complete']);
    const times = second.phases.map((p) => Date.parse(p.at));
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    expect(Date.parse(second.startedAt!)).toBeLessThanOrEqual(times[0]!);
    expect(Date.parse(second.endedAt)).toBeGreaterThanOrEqual(times.at(-1)!);
    // Fingerprints, never values: the same the audit trail names, and the old one is the first rotation's new one.
    expect(second.fingerprints?.old).toBe(initial.fingerprints?.new);
    const audit = (await readFile(join(dir, 'audit.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(audit.filter((e) => e.rotationId === second.rotationId).map((e) => e.fingerprint)).toContain(second.fingerprints?.new);

    await eventually(async () => {
      const beat = await apiCall(base, 'GET', '/v1/policies/heartbeat/history', { token: tokens.reader });
      return (beat.body.rotations as Row[]).some((r) => r.outcome === 'rolled-back');
    });
    const beat = (await apiCall(base, 'GET', '/v1/policies/heartbeat/history', { token: tokens.reader })).body.rotations as Row[];
    expect(beat.find((r) => r.outcome === 'rolled-back')).toMatchObject({ endedBy: 'api:ops-admin' });
    expect(beat.filter((r) => r.outcome === 'succeeded').every((r) => r.trigger !== undefined && r.actor === 'schedule')).toBe(true);

    // Scopes: read is enough, a token without it is refused; an unknown policy is 404; a bad since is 400.
    expect((await apiCall(base, 'GET', '/v1/policies/gladly-prod/history', { token: tokens.rotator })).status).toBe(403);
    expect((await apiCall(base, 'GET', '/v1/policies/nope/history', { token: tokens.reader })).status).toBe(404);
    const badSince = await apiCall(base, 'GET', '/v1/policies/gladly-prod/history?since=yesterday', { token: tokens.reader });
    expect(badSince).toMatchObject({ status: 400, body: { code: 'USAGE_INVALID' } });
  });

  it('survives a restart, and the local command reads the same history from the store', async () => {
    const before = (await apiCall(setup.base, 'GET', '/v1/policies/gladly-prod/history', { token: setup.tokens.reader })).body.rotations as Row[];
    expect((await daemon.stop()).code).toBe(0);
    const local = await runCli(['history', 'gladly-prod', '--json', '--config', setup.config], ENV);
    expect(local.code, local.stderr).toBe(0);
    expect((JSON.parse(local.stdout) as { rotations: Row[] }).rotations).toEqual(before);
    const table = await runCli(['history', 'gladly-prod', '--config', setup.config], ENV);
    expect(table.stdout.split('\n')[0]).toMatch(/^ENDED\s+OUTCOME\s+TRIGGER\s+BY\s+TOOK\s+ROTATION\s+NOTES$/);
    expect(table.stdout).toContain(`asked ${EMAIL} to delete`);
    expect(table.stdout).toContain('handed over (api:support-bot)');
    const none = await runCli(['history', 'gladly-prod', '--since', '2099-01-01', '--config', setup.config], ENV);
    expect(none.stdout.trim()).toBe('gladly-prod: no ended rotation on record');
    const wrong = await runCli(['history', 'gladly-prod', '--since', 'last week', '--config', setup.config], ENV);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('neither a duration');

    daemon = DaemonProcess.start(setup.config, ENV);
    await daemon.waitForMessage('Control API listening');
    const remote = await runCli(['history', 'gladly-prod', '--json', '--server', setup.base], { ...ENV, ROTAD_API_TOKEN: setup.tokens.reader });
    expect(remote.code, remote.stderr).toBe(0);
    expect((JSON.parse(remote.stdout) as { rotations: Row[] }).rotations).toEqual(before);
  });
});
