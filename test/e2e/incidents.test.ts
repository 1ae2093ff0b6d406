import { createHmac, randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiCall } from '../helpers/api.js';
import { spawn } from 'node:child_process';
import { capturedOutput, DaemonProcess, expectNoSecretsInOutput, runCli } from '../helpers/daemon.js';
import { CLI, ROOT } from '../helpers/paths.js';
import { freePort } from '../helpers/ports.js';
import { eventually, HttpSink } from '../helpers/sinks.js';
import { readPolicy, secretsOf } from '../helpers/store.js';
import { tempDir } from '../helpers/workspace.js';
import { GladlyServer } from '../adapters/providers/gladly/stand-in.js';

const EMAIL = 'support-api@acme.test';
const ENV = { INBOX_SECRET: 'inbox-signing-secret-4d2a', PAGER_SECRET: 'pager-signing-secret-9b7e' };
const REASON = 'INC-42: token pasted in a public gist';

interface World {
  dir: string;
  config: string;
  base: string;
  tokens: { ops: string; rotator: string; leaks: string };
}

/**
 * A daemon with the control API, three policies labelled `team: support` (an assisted Gladly
 * token whose person may be asked only on Mondays 03:00–03:01 UTC, and two `random` keys with a
 * grace of an hour) and one labelled `team: billing`; `inbox` is told everything, `pager` is the
 * escalation notifier.
 */
async function writeWorld(gladlyUrl: string, inboxUrl: string, pagerUrl: string): Promise<World> {
  const dir = await tempDir();
  const port = await freePort();
  const tokens = { ops: randomBytes(24).toString('hex'), rotator: randomBytes(24).toString('hex'), leaks: randomBytes(24).toString('hex') };
  for (const [name, value] of Object.entries(tokens)) await writeFile(join(dir, `${name}.token`), `${value}\n`, { mode: 0o600 });
  const base = `http://127.0.0.1:${port}`;
  const config = join(dir, 'rotad.yaml');
  await writeFile(
    config,
    `version: 1
daemon:
  stateDir: ${dir}/state
  health: { enabled: false }
  retry: { attempts: 3, initialDelay: 20ms, maxDelay: 200ms }
  shutdownTimeout: 5s
  watchConfig: 0s
  audit: { file: ${dir}/audit.jsonl }
  api:
    host: 127.0.0.1
    port: ${port}
    publicUrl: ${base}
    tokens:
      - { name: ops, file: ops.token, scopes: [read, rotate, submit, incident] }
      - { name: ci-rotate, file: rotator.token, scopes: [read, rotate] }
      - { name: scanner, file: leaks.token, scopes: [leak] }
stores:
  local: { type: file, path: ${dir}/state/secrets.enc, key: { file: ${dir}/state/store.key, generate: true } }
notifiers:
  log: { type: log }
  inbox: { type: webhook, url: "${inboxUrl}", secretEnv: INBOX_SECRET }
  pager: { type: webhook, url: "${pagerUrl}", secretEnv: PAGER_SECRET }
defaults:
  store: local
  labels: { env: prod }
  grace: 1h
  notify: [log, inbox]
  escalate: [pager]
  assist: { remindEvery: 1h, deadline: 1d, checkEvery: 300ms, askWithin: "Mon 03:00-03:01 UTC" }
policies:
  - name: gladly-support
    labels: { team: support, vendor: gladly }
    provider: { type: gladly, organization: acme, email: ${EMAIL}, baseUrl: "${gladlyUrl}" }
    schedule: manual
  - name: support-search-key
    labels: { team: support, vendor: search }
    provider: { type: random, length: 40 }
    schedule: { every: 30d }
  - name: support-webhook-key
    labels: { team: support, vendor: webhooks }
    provider: { type: random, length: 40 }
    schedule: { every: 30d }
  - name: billing-key
    labels: { team: billing, env: staging }
    provider: { type: random, length: 40 }
    schedule: { every: 30d }
`,
  );
  return { dir, config, base, tokens };
}

describe('incidents: selectors, incident rotations and leak reports on a running daemon', () => {
  const gladly = new GladlyServer('acme');
  const inbox = new HttpSink();
  const pager = new HttpSink();
  let world: World;
  let daemon: DaemonProcess;
  const secrets: string[] = [ENV.INBOX_SECRET, ENV.PAGER_SECRET];
  const post = (path: string, body: unknown, token = world.tokens.ops) => apiCall(world.base, 'POST', path, { token, body: JSON.stringify(body) });

  beforeAll(async () => {
    await gladly.start();
    gladly.addUser(EMAIL);
    await inbox.start();
    await pager.start();
    world = await writeWorld(gladly.url, inbox.url, pager.url);
    secrets.push(...Object.values(world.tokens));
    daemon = DaemonProcess.start(world.config, ENV);
    await daemon.waitForMessage('Control API listening');
    // The three random keys make their first credential; the Gladly request waits for Monday's ask window.
    await eventually(async () => (await readPolicy(world.dir, 'billing-key')).current !== undefined);
    await eventually(async () => (await readPolicy(world.dir, 'support-webhook-key')).current !== undefined);
    await eventually(async () => (await readPolicy(world.dir, 'gladly-support')).state.assist !== undefined);
  });

  afterAll(async () => {
    for (const name of ['gladly-support', 'support-search-key', 'support-webhook-key', 'billing-key'])
      secrets.push(...secretsOf(await readPolicy(world.dir, name)));
    expect((await daemon.stop()).code).toBe(0);
    await Promise.all([gladly.stop(), inbox.stop(), pager.stop()]);
    expectNoSecretsInOutput(secrets);
    const audit = await readFile(join(world.dir, 'audit.jsonl'), 'utf8');
    for (const secret of secrets) expect(audit.includes(secret), 'a secret value in the audit file').toBe(false);
  });

  it('selects policies by label in the API, status and plan, and says which labels exist when nothing matches', async () => {
    const selected = await apiCall(world.base, 'GET', `/v1/policies?selector=${encodeURIComponent('team=support,vendor!=gladly')}`, {
      token: world.tokens.rotator,
    });
    expect(selected.status).toBe(200);
    expect((selected.body.policies as Array<{ policy: string; labels: Record<string, string> }>).map((p) => p.policy)).toEqual([
      'support-search-key',
      'support-webhook-key',
    ]);
    // defaults.labels reach every policy; a policy's own label wins.
    const all = (await apiCall(world.base, 'GET', '/v1/policies', { token: world.tokens.rotator })).body.policies as Array<{
      policy: string;
      labels: Record<string, string>;
    }>;
    expect(all.find((p) => p.policy === 'billing-key')!.labels).toEqual({ env: 'staging', team: 'billing' });
    expect(all.find((p) => p.policy === 'support-search-key')!.labels).toEqual({ env: 'prod', team: 'support', vendor: 'search' });

    const none = await apiCall(world.base, 'GET', `/v1/policies?selector=team=suport`, { token: world.tokens.rotator });
    expect(none.status).toBe(404);
    expect(String(none.body.message)).toContain('team=support');
    const broken = await apiCall(world.base, 'GET', `/v1/policies?selector=${encodeURIComponent('team in (a')}`, { token: world.tokens.rotator });
    expect(broken.status).toBe(400);

    const status = await runCli(['status', '-c', world.config, '--selector', 'team=billing']);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain('billing-key');
    expect(status.stdout).not.toContain('support-search-key');
    const plan = await runCli(['plan', '-c', world.config, '-l', 'env=staging', '--json']);
    expect((JSON.parse(plan.stdout) as Array<{ name: string }>).map((p) => p.name)).toEqual(['billing-key']);
  });

  it('refuses an incident without the incident scope or without a reason, and a drill writes nothing', async () => {
    const refused = await post('/v1/rotations', { selector: 'team=support', incident: true, reason: REASON }, world.tokens.rotator);
    expect(refused.status).toBe(403);
    expect(String(refused.body.message)).toContain('lacks the scope incident');
    const reasonless = await post('/v1/rotations', { selector: 'team=support', incident: true });
    expect(reasonless.status).toBe(400);
    expect(String(reasonless.body.message)).toContain('needs a reason');

    const before = await readPolicy(world.dir, 'support-search-key');
    const drill = await post('/v1/rotations', { selector: 'team=support', incident: true, reason: REASON, drill: true });
    expect(drill.status).toBe(200);
    const rows = drill.body.drill as Array<{ policy: string; kind: string; asks?: string; escalate: string[]; graceMs: number }>;
    expect(rows.map((r) => [r.policy, r.kind])).toEqual([
      ['gladly-support', 'assisted'],
      ['support-search-key', 'automatic'],
      ['support-webhook-key', 'automatic'],
    ]);
    expect(rows[0]).toMatchObject({ asks: EMAIL, escalate: ['pager'], graceMs: 0 });
    const cli = await runCli(['rotate', '-c', world.config, '-l', 'team=support', '--incident', '--reason', REASON, '--drill']);
    expect(cli.code).toBe(0);
    expect(cli.stdout).toContain(`gladly-support (gladly): a person is asked at once, urgent: ${EMAIL}`);
    expect(cli.stdout).toContain('nothing was written and nobody was told');
    const after = await readPolicy(world.dir, 'support-search-key');
    expect(after.state).toEqual(before.state);
    expect(pager.received).toHaveLength(0);
  });

  it('rotates the selection now: automatic keys skip their hour of grace, the person is asked at once (urgent, escalated) outside the ask hours', async () => {
    const oldSearch = (await readPolicy(world.dir, 'support-search-key')).current!;
    const oldBilling = (await readPolicy(world.dir, 'billing-key')).current!;
    const started = Date.now();
    const answer = await post('/v1/rotations', { selector: 'team=support', incident: true, reason: REASON });
    expect(answer.status).toBe(200);
    expect((answer.body.rotations as Array<{ policy: string; requested: boolean }>).map((r) => r.policy)).toEqual([
      'gladly-support',
      'support-search-key',
      'support-webhook-key',
    ]);

    // The random keys: the rotation ends in seconds, though grace is 1h (incidentGrace: 0s).
    await eventually(async () => {
      const { current, state } = await readPolicy(world.dir, 'support-search-key');
      return current?.rotationId !== oldSearch.rotationId && state.phase === 'idle';
    });
    expect(Date.now() - started).toBeLessThan(60_000);
    const search = await readPolicy(world.dir, 'support-search-key');
    expect(search.state.incident).toBeUndefined();
    expect(search.state.history.at(-1)).toMatchObject({ outcome: 'succeeded', incident: REASON });
    // Not selected: untouched.
    expect((await readPolicy(world.dir, 'billing-key')).current!.rotationId).toBe(oldBilling.rotationId);

    // The person: asked at once despite the ask window, through inbox and the escalation notifier, with the reason.
    await eventually(() => pager.json().some((e) => e.type === 'action-required'));
    const urgent = pager.json().find((e) => e.type === 'action-required')!;
    expect(urgent).toMatchObject({ policy: 'gladly-support', incident: { reason: REASON, actor: 'api:ops' } });
    expect(String(urgent.message)).toMatch(/^URGENT, incident: INC-42: token pasted in a public gist \(asked by api:ops\)\n/);
    expect(inbox.json().some((e) => e.type === 'action-required' && e.policy === 'gladly-support')).toBe(true);

    const token = gladly.createToken(EMAIL);
    secrets.push(token.value);
    const submitted = await post('/v1/policies/gladly-support/submit', { token: token.value });
    expect(submitted.status).toBe(200);
    await eventually(async () => (await readPolicy(world.dir, 'gladly-support')).state.phase === 'idle', 20_000);
    const gladlyState = await readPolicy(world.dir, 'gladly-support');
    expect(gladlyState.current!.value.reveal()).toBe(token.value);
    expect(gladlyState.state.history.at(-1)).toMatchObject({ incident: REASON });

    // Every audit event of these rotations names the reason and who asked.
    const audit = (await readFile(join(world.dir, 'audit.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const incidentEvents = audit.filter(
      (e) => (e.rotationId === search.state.lastRotationId || e.rotationId === gladlyState.state.lastRotationId) && Date.parse(String(e.at)) >= started,
    );
    expect(incidentEvents.length).toBeGreaterThan(8);
    for (const event of incidentEvents) expect(event).toMatchObject({ actor: 'api:ops', reason: REASON });
  });

  it('answers leak reports: current → incident rotation, previous not revocable → said so, unknown → not managed; the value is never echoed', async () => {
    const before = await readPolicy(world.dir, 'support-webhook-key');
    const leakedCurrent = before.current!.value.reveal();
    const leakedPrevious = before.previous!.value.reveal();
    const forbidden = await post('/v1/leaks', { value: leakedCurrent, source: 'github' }, world.tokens.ops);
    expect(forbidden.status).toBe(403);

    const unknown = await post(
      '/v1/leaks',
      { value: 'AKIA-not-ours-0123456789', source: 'github', url: 'https://github.com/acme/app/security/secret-scanning/7' },
      world.tokens.leaks,
    );
    expect(unknown.status).toBe(200);
    expect(unknown.body).toMatchObject({ matches: [] });
    expect(String(unknown.body.message)).toContain('not a credential rotad manages');

    const old = await post('/v1/leaks', { value: leakedPrevious, source: 'gitguardian' }, world.tokens.leaks);
    expect(old.body.matches).toEqual([expect.objectContaining({ policy: 'support-webhook-key', slot: 'previous', action: 'not-revocable' })]);
    expect(String(old.body.message)).toContain('its provider has no way to revoke it');

    const leaked = await post(
      '/v1/leaks',
      { value: leakedCurrent, source: 'github', url: 'https://github.com/acme/app/security/secret-scanning/8' },
      world.tokens.leaks,
    );
    expect(leaked.status).toBe(200);
    expect(leaked.body.matches).toEqual([expect.objectContaining({ policy: 'support-webhook-key', slot: 'current', action: 'incident-rotation' })]);
    expect(JSON.stringify(leaked.body)).not.toContain(leakedCurrent);
    await eventually(async () => {
      const { previous, state } = await readPolicy(world.dir, 'support-webhook-key');
      return previous?.rotationId === before.current!.rotationId && state.phase === 'idle';
    });
    const after = await readPolicy(world.dir, 'support-webhook-key');
    expect(after.state.history.at(-1)!.incident).toBe('credential leak reported by github: https://github.com/acme/app/security/secret-scanning/8');
    expect(leaked.body.fingerprint).toMatch(/^[0-9a-f]{16}$/);

    // A reporter that holds only the keyed fingerprint (as rotad's audit trail names credentials).
    const billing = await readPolicy(world.dir, 'billing-key');
    const key = Buffer.from((await readFile(join(world.dir, 'state/fingerprint.key'), 'utf8')).trim(), 'base64');
    const fingerprint = createHmac('sha256', key).update(billing.current!.value.reveal()).digest('hex').slice(0, 16);
    const byFingerprint = await post('/v1/leaks', { fingerprint, source: 'internal-scan' }, world.tokens.leaks);
    expect(byFingerprint.body.matches).toEqual([expect.objectContaining({ policy: 'billing-key', slot: 'current', action: 'incident-rotation' })]);
    await eventually(async () => (await readPolicy(world.dir, 'billing-key')).previous?.rotationId === billing.current!.rotationId);
    const audit = await readFile(join(world.dir, 'audit.jsonl'), 'utf8');
    expect(audit).toContain(`"outcome":"matched","actor":"leak:github"`);
    expect(audit).toContain(`"policy":"*","phase":"leak","outcome":"unmatched"`);
    secrets.push(leakedCurrent, leakedPrevious, 'AKIA-not-ours-0123456789');
  });

  it('ingests TruffleHog findings: a leaked key rotad holds is rotated, another is reported as not ours, and no value is printed', async () => {
    const before = await readPolicy(world.dir, 'support-search-key');
    const leaked = before.current!.value.reveal();
    const finding = (raw: string, line: number) =>
      JSON.stringify({
        SourceMetadata: { Data: { Git: { commit: '9f1c2e7', file: 'deploy/.env', repository: 'https://github.com/acme/app.git', line } } },
        SourceType: 16,
        SourceName: 'trufflehog - git',
        DetectorType: 17,
        DetectorName: 'Generic',
        Verified: false,
        Raw: raw,
        Redacted: '',
        ExtraData: null,
      });
    const input = `${finding(leaked, 3)}\n${finding('ghp_notOursAtAll0123456789abcdefABCDEF', 4)}\n`;
    const ingest = await runCli(['leaks', 'ingest', '-c', world.config], {}, input);
    expect(ingest.code).toBe(0);
    expect(ingest.stdout).toContain('finding 1 (Generic, fingerprint ');
    expect(ingest.stdout).toContain('support-search-key: the current credential; an incident rotation replaces it now');
    expect(ingest.stdout).toContain('finding 2 (Generic, fingerprint ');
    expect(ingest.stdout).toContain('not a credential rotad manages');
    expect(`${ingest.stdout}${ingest.stderr}`).not.toContain(leaked);
    await eventually(async () => (await readPolicy(world.dir, 'support-search-key')).previous?.rotationId === before.current!.rotationId);
    const after = await readPolicy(world.dir, 'support-search-key');
    await eventually(async () => (await readPolicy(world.dir, 'support-search-key')).state.phase === 'idle');
    expect((await readPolicy(world.dir, 'support-search-key')).state.history.at(-1)!.incident).toBe(
      'credential leak reported by trufflehog: https://github.com/acme/app.git 9f1c2e7 deploy/.env:3',
    );
    expect(after.current!.value.reveal()).not.toBe(leaked);

    // The same through the daemon's API (a token with the leak scope), from a machine without the config.
    const remote = await runCli(
      ['leaks', 'ingest', '--server', world.base],
      { ROTAD_API_TOKEN: world.tokens.leaks },
      `${finding('ghp_notOursAtAll0123456789abcdefABCDEF', 7)}\n`,
    );
    expect(remote.code).toBe(0);
    expect(remote.stdout).toContain('finding 1 (Generic, fingerprint ');
    expect(remote.stdout).toContain('not a credential rotad manages');

    const garbage = await runCli(['leaks', 'ingest', '-c', world.config], {}, `${finding('x'.repeat(30), 1)}\nnot json at all\n`);
    expect(garbage.code).toBe(2);
    expect(garbage.stderr).toContain('line 2 of stdin is not JSON');
    secrets.push(leaked, 'ghp_notOursAtAll0123456789abcdefABCDEF');
  });

  it('--wait follows the rotations: JSON lines when piped, a progress bar on a terminal', async () => {
    const piped = await runCli(['rotate', '-c', world.config, '-l', 'team=billing', '--incident', '--reason', 'INC-43: drill for real', '--wait']);
    expect(piped.code).toBe(0);
    const lines = piped.stdout
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.some((l) => l.policy === 'billing-key' && l.progress === 'done')).toBe(true);
    expect(lines.at(-1)).toMatchObject({ summary: { done: 1, failed: 0, queued: 0, rotating: 0, 'waiting-for-person': 0 } });

    const command = `${process.execPath} ${CLI} rotate -c ${world.config} -l vendor=search --incident --reason INC-44 --wait`;
    const screen = await new Promise<{ code: number | null; text: string }>((resolve) => {
      const child = spawn('script', ['-q', '-e', '-c', command, '/dev/null'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
      let text = '';
      child.stdout.on('data', (chunk: Buffer) => (text += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (text += chunk.toString()));
      child.on('close', (code) => resolve({ code, text }));
    });
    capturedOutput.push(screen.text);
    expect(screen.code).toBe(0);
    expect(screen.text).toContain('[########################] 1/1 done · 0 rotating · 0 waiting for a person · 0 failed');
    expect(screen.text).not.toContain('"progress"');

    // The API streams the same as server-sent events, until every rotation is done.
    const response = await fetch(`${world.base}/v1/rotations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${world.tokens.ops}`, 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ policies: ['billing-key', 'support-search-key'], incident: true, reason: 'INC-46: streamed' }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const events = (await response.text())
      .trim()
      .split('\n\n')
      .filter((block) => block.startsWith('event:'))
      .map((block) => {
        const [event, data] = block.split('\n');
        return { event: event!.slice('event: '.length), data: JSON.parse(data!.slice('data: '.length)) as Record<string, unknown> };
      });
    expect(events[0]).toMatchObject({ event: 'requested', data: { rotations: [{ policy: 'billing-key' }, { policy: 'support-search-key' }] } });
    expect(
      events
        .filter((e) => e.event === 'progress' && e.data.progress === 'done')
        .map((e) => e.data.policy)
        .sort(),
    ).toEqual(['billing-key', 'support-search-key']);
    expect(events.at(-1)).toMatchObject({ event: 'summary', data: { total: 2, counts: { done: 2, failed: 0 } } });
  });

  it('a daemon killed (SIGKILL) during an incident rotation leaves it to the next one, which finishes it with the same reason and actor', async () => {
    const reason = 'INC-45: killed mid-incident';
    const answer = await post('/v1/rotations', { policies: ['gladly-support'], incident: true, reason });
    expect(answer.status).toBe(200);
    await eventually(() => pager.json().some((e) => e.type === 'action-required' && (e.incident as { reason?: string } | undefined)?.reason === reason));
    const rotationId = (await readPolicy(world.dir, 'gladly-support')).state.rotationId;
    daemon.child.kill('SIGKILL');
    await new Promise((resolve) => daemon.child.once('exit', resolve));
    daemon = DaemonProcess.start(world.config, ENV);
    await daemon.waitForMessage('Control API listening');

    const token = gladly.createToken(EMAIL);
    secrets.push(token.value);
    const submitted = await post('/v1/policies/gladly-support/submit', { token: token.value });
    expect(submitted.status).toBe(200);
    // The person is asked to delete the older token (urgent too), and does.
    await eventually(async () => (await readPolicy(world.dir, 'gladly-support')).state.assist?.action === 'delete', 20_000);
    const user = gladly.users.get(EMAIL)!;
    user.tokens = user.tokens.filter((t) => t.value === token.value);
    await eventually(async () => (await readPolicy(world.dir, 'gladly-support')).state.phase === 'idle', 20_000);
    const { state, current } = await readPolicy(world.dir, 'gladly-support');
    expect(current!.value.reveal()).toBe(token.value);
    expect(state.lastRotationId).toBe(rotationId);
    expect(state.history.at(-1)).toMatchObject({ rotationId, incident: reason });
    const audit = (await readFile(join(world.dir, 'audit.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((e) => e.rotationId === rotationId);
    expect(audit.length).toBeGreaterThan(2);
    for (const event of audit) expect(event).toMatchObject({ actor: 'api:ops', reason });
  });
});
