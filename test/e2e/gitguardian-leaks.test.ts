import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DaemonProcess, expectNoSecretsInOutput } from '../helpers/daemon.js';
import { freePort } from '../helpers/ports.js';
import { eventually } from '../helpers/sinks.js';
import { readPolicy, secretsOf } from '../helpers/store.js';
import { tempDir } from '../helpers/workspace.js';
import { GitguardianWebhook } from '../leaks/gitguardian-stand-in.js';

const ENV = { GG_SIGNATURE_TOKEN: `gg-${randomBytes(12).toString('hex')}` };

describe('GitGuardian incidents start incident rotations (signed custom webhook, matched by HasMySecretLeaked hash)', () => {
  const gitguardian = new GitguardianWebhook(ENV.GG_SIGNATURE_TOKEN);
  let dir: string;
  let base: string;
  let daemon: DaemonProcess;
  const secrets: string[] = Object.values(ENV);
  const send = (delivery: { headers: Record<string, string>; body: string }) =>
    fetch(`${base}/v1/leaks/gitguardian`, { method: 'POST', headers: delivery.headers, body: delivery.body }).then(async (r) => ({
      status: r.status,
      body: (await r.json()) as Record<string, unknown>,
    }));
  const history = async (name: string) => (await readPolicy(dir, name)).state.history.length;

  beforeAll(async () => {
    dir = await tempDir();
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    const config = join(dir, 'rotad.yaml');
    await writeFile(
      config,
      `version: 1
daemon:
  stateDir: ${dir}/state
  health: { enabled: false }
  retry: { attempts: 2, initialDelay: 20ms, maxDelay: 100ms }
  shutdownTimeout: 5s
  watchConfig: 0s
  audit: { file: ${dir}/audit.jsonl }
  api:
    port: ${port}
    gitguardian: { signatureTokenEnv: GG_SIGNATURE_TOKEN }
stores:
  local: { type: file, path: ${dir}/state/secrets.enc, key: { file: ${dir}/state/store.key, generate: true } }
defaults: { grace: 1h }
policies:
  - { name: payments-key, provider: { type: random, length: 40 }, schedule: { every: 30d } }
  - { name: search-key, provider: { type: random, length: 40 }, schedule: { every: 30d } }
`,
    );
    daemon = DaemonProcess.start(config, ENV);
    await daemon.waitForMessage('Control API listening');
    await eventually(async () => (await readPolicy(dir, 'payments-key')).state.lastRotatedAt !== undefined);
    await eventually(async () => (await readPolicy(dir, 'search-key')).state.lastRotatedAt !== undefined);
  });

  afterAll(async () => {
    for (const name of ['payments-key', 'search-key']) secrets.push(...secretsOf(await readPolicy(dir, name)));
    expect((await daemon.stop()).code).toBe(0);
    expectNoSecretsInOutput(secrets);
    const audit = await readFile(join(dir, 'audit.jsonl'), 'utf8');
    for (const secret of secrets) expect(audit.includes(secret)).toBe(false);
  });

  it('refuses a delivery with a wrong signature, a tampered body, or signed long ago; nothing is rotated', async () => {
    const value = (await readPolicy(dir, 'payments-key')).current!.value.reveal();
    const forged = await send(gitguardian.delivery(value, 'incident_triggered', { token: 'not-the-token' }));
    expect(forged.status).toBe(401);
    expect(String(forged.body.message)).toContain('Gitguardian-Signature');
    const signed = gitguardian.delivery(value);
    expect((await send({ ...signed, body: signed.body.replace('incident_triggered', 'incident_reopened') })).status).toBe(401);
    const stale = await send(gitguardian.delivery(value, 'incident_triggered', { at: Math.floor(Date.now() / 1000) - 600 }));
    expect(stale.status).toBe(401);
    expect(String(stale.body.message)).toContain('more than 5 minutes');
    expect(await history('payments-key')).toBe(1);
  });

  it('matches the incident by its hash, rotates the policy that holds the value, and a replayed delivery rotates nothing more', async () => {
    const before = await readPolicy(dir, 'payments-key');
    const delivery = gitguardian.delivery(before.current!.value.reveal());
    const answer = await send(delivery);
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({
      handled: true,
      matches: [expect.objectContaining({ policy: 'payments-key', slot: 'current', action: 'incident-rotation' })],
    });
    expect(JSON.stringify(answer.body)).not.toContain(before.current!.value.reveal());
    await eventually(async () => (await readPolicy(dir, 'payments-key')).state.history.length === 2);
    const after = await readPolicy(dir, 'payments-key');
    expect(after.previous!.rotationId).toBe(before.current!.rotationId);
    expect(after.state.history.at(-1)!.incident).toBe(
      `credential leak reported by gitguardian: https://dashboard.gitguardian.com/workspace/1/incidents/${delivery.id}`,
    );
    expect(await history('search-key')).toBe(1);

    const replay = await send(delivery);
    expect(replay).toMatchObject({ status: 200, body: { handled: false } });
    await new Promise((r) => setTimeout(r, 500));
    expect(await history('payments-key')).toBe(2);
    const audit = await readFile(join(dir, 'audit.jsonl'), 'utf8');
    expect(audit).toContain('"phase":"leak","outcome":"matched","actor":"leak:gitguardian"');

    // The value the incident replaced, reported again: it is the previous credential now, which the `random` provider cannot revoke.
    const old = await send(gitguardian.delivery(before.current!.value.reveal(), 'incident_regression'));
    expect(old).toMatchObject({ status: 200, body: { handled: true, matches: [expect.objectContaining({ slot: 'previous', action: 'not-revocable' })] } });
  });

  it('ignores events that report no leak, answers an unknown value as not managed, and refuses an incident without its hash', async () => {
    const value = (await readPolicy(dir, 'search-key')).current!.value.reveal();
    expect(await send(gitguardian.delivery(value, 'incident_resolved'))).toMatchObject({ status: 202, body: { handled: false } });
    const unknown = await send(gitguardian.delivery(`sk_live_${randomBytes(12).toString('hex')}`));
    expect(unknown).toMatchObject({ status: 200, body: { handled: true, matches: [] } });
    expect(String(unknown.body.message)).toContain('not a credential rotad manages');
    const hashless = gitguardian.delivery(value);
    const stripped = hashless.body.replace(/"hmsl_hash":"[0-9a-f]+",/, '');
    const resigned = gitguardian.resign(stripped, hashless.headers.timestamp!);
    const refused = await send({ headers: { ...hashless.headers, 'gitguardian-signature': resigned }, body: stripped });
    expect(refused.status).toBe(400);
    expect(String(refused.body.message)).toContain('incident.hmsl_hash');
    expect(await history('search-key')).toBe(1);
  });
});
