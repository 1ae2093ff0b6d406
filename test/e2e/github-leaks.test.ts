import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../helpers/sinks.js';
import { GithubServer } from '../leaks/github-stand-in.js';
import { IntakeDaemon } from '../leaks/intake-daemon.js';

const ENV = { GH_HOOK_SECRET: `whsec-${randomBytes(12).toString('hex')}`, GH_TOKEN: `github_pat_${randomBytes(16).toString('hex')}` };

describe('GitHub secret scanning alerts start incident rotations (signed webhook, alert read from the API)', () => {
  const github = new GithubServer();
  const intake = new IntakeDaemon(() => `github: { webhookSecretEnv: GH_HOOK_SECRET, tokenEnv: GH_TOKEN, apiUrl: "${github.url}" }`, ENV);
  const secrets: string[] = Object.values(ENV);
  const send = (delivery: { headers: Record<string, string>; body: string }) => intake.send('/v1/leaks/github', delivery);
  const history = (name: string) => intake.history(name);
  const policy = (name: string) => intake.policy(name);

  beforeAll(async () => {
    await github.start();
    github.allowToken(ENV.GH_TOKEN);
    await intake.start();
  });

  afterAll(async () => {
    secrets.push(...github.alerts.map((a) => a.secret));
    await intake.stopAndCheck(secrets);
    await github.stop();
  });

  it('answers a ping, and refuses a delivery without the right signature (nothing is read or rotated)', async () => {
    const alert = github.raiseAlert('acme/app', (await policy('payments-key')).current!.value.reveal());
    const ping = github.delivery(alert, 'created', ENV.GH_HOOK_SECRET, 'ping');
    expect(await send(ping)).toMatchObject({ status: 200, body: { handled: false } });

    const forged = github.delivery(alert, 'created', 'not-the-webhook-secret');
    const refused = await send(forged);
    expect(refused.status).toBe(401);
    expect(String(refused.body.message)).toContain('X-Hub-Signature-256');
    const unsigned = github.delivery(alert, 'created', ENV.GH_HOOK_SECRET);
    delete unsigned.headers['x-hub-signature-256'];
    expect((await send(unsigned)).status).toBe(401);
    const tampered = github.delivery(alert, 'created', ENV.GH_HOOK_SECRET);
    expect((await send({ ...tampered, body: tampered.body.replace('"created"', '"reopened"') })).status).toBe(401);
    expect(github.calls.filter((c) => c.path.includes('secret-scanning'))).toHaveLength(0);
    expect(await history('payments-key')).toBe(1);
  });

  it('reads the leaked value from the alert, rotates the policy that holds it, and a replayed delivery rotates nothing more', async () => {
    const before = await policy('payments-key');
    const alert = github.alerts[0]!;
    const delivery = github.delivery(alert, 'created', ENV.GH_HOOK_SECRET);
    const answer = await send(delivery);
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({
      handled: true,
      matches: [expect.objectContaining({ policy: 'payments-key', slot: 'current', action: 'incident-rotation' })],
    });
    expect(JSON.stringify(answer.body)).not.toContain(alert.secret);
    await eventually(async () => (await policy('payments-key')).state.history.length === 2);
    const after = await policy('payments-key');
    expect(after.previous!.rotationId).toBe(before.current!.rotationId);
    expect(after.state.history.at(-1)!.incident).toBe('credential leak reported by github: https://github.com/acme/app/security/secret-scanning/1');
    expect(await history('search-key')).toBe(1);

    const replay = await send(delivery);
    expect(replay).toMatchObject({ status: 200, body: { handled: false } });
    expect(String(replay.body.message)).toContain('handled already');
    await new Promise((r) => setTimeout(r, 500));
    expect(await history('payments-key')).toBe(2);
    const audit = await intake.audit();
    expect(audit).toContain('"phase":"leak","outcome":"matched","actor":"leak:github"');
  });

  it('ignores actions that report no leak, answers an unknown value as not managed, and names the missing permission', async () => {
    const resolved = github.delivery(github.alerts[0]!, 'resolved', ENV.GH_HOOK_SECRET);
    expect(await send(resolved)).toMatchObject({ status: 202, body: { handled: false } });

    const foreign = github.raiseAlert('acme/app', `sk_live_${randomBytes(12).toString('hex')}`, 'stripe_api_key');
    const unknown = await send(github.delivery(foreign, 'created', ENV.GH_HOOK_SECRET));
    expect(unknown).toMatchObject({ status: 200, body: { handled: true, matches: [] } });
    expect(String(unknown.body.message)).toContain('not a credential rotad manages');

    github.allowToken(ENV.GH_TOKEN, 'none');
    const current = github.raiseAlert('acme/app', (await policy('search-key')).current!.value.reveal());
    const denied = await send(github.delivery(current, 'created', ENV.GH_HOOK_SECRET));
    expect(denied.status).toBe(502);
    expect(String(denied.body.message)).toContain('needs "Secret scanning alerts: read"');
    expect(await history('search-key')).toBe(1);
    // GitHub redelivers once the token is fixed: the same delivery is handled then.
    github.allowToken(ENV.GH_TOKEN, 'read');
  });
});
