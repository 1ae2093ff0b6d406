import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../helpers/sinks.js';
import { GitguardianWebhook } from '../leaks/gitguardian-stand-in.js';
import { IntakeDaemon } from '../leaks/intake-daemon.js';

const ENV = { GG_SIGNATURE_TOKEN: `gg-${randomBytes(12).toString('hex')}` };

describe('GitGuardian incidents start incident rotations (signed custom webhook, matched by HasMySecretLeaked hash)', () => {
  const gitguardian = new GitguardianWebhook(ENV.GG_SIGNATURE_TOKEN);
  const intake = new IntakeDaemon(() => 'gitguardian: { signatureTokenEnv: GG_SIGNATURE_TOKEN }', ENV);
  const secrets: string[] = Object.values(ENV);
  const send = (delivery: { headers: Record<string, string>; body: string }) => intake.send('/v1/leaks/gitguardian', delivery);
  const history = (name: string) => intake.history(name);
  const policy = (name: string) => intake.policy(name);

  beforeAll(() => intake.start());
  afterAll(() => intake.stopAndCheck(secrets));

  it('refuses a delivery with a wrong signature, a tampered body, or signed long ago; nothing is rotated', async () => {
    const value = (await policy('payments-key')).current!.value.reveal();
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
    const before = await policy('payments-key');
    const delivery = gitguardian.delivery(before.current!.value.reveal());
    const answer = await send(delivery);
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({
      handled: true,
      matches: [expect.objectContaining({ policy: 'payments-key', slot: 'current', action: 'incident-rotation' })],
    });
    expect(JSON.stringify(answer.body)).not.toContain(before.current!.value.reveal());
    await eventually(async () => (await policy('payments-key')).state.history.length === 2);
    const after = await policy('payments-key');
    expect(after.previous!.rotationId).toBe(before.current!.rotationId);
    expect(after.state.history.at(-1)!.incident).toBe(
      `credential leak reported by gitguardian: https://dashboard.gitguardian.com/workspace/1/incidents/${delivery.id}`,
    );
    expect(await history('search-key')).toBe(1);

    const replay = await send(delivery);
    expect(replay).toMatchObject({ status: 200, body: { handled: false } });
    await new Promise((r) => setTimeout(r, 500));
    expect(await history('payments-key')).toBe(2);
    const audit = await intake.audit();
    expect(audit).toContain('"phase":"leak","outcome":"matched","actor":"leak:gitguardian"');

    // The value the incident replaced, reported again: it is the previous credential now, which the `random` provider cannot revoke.
    const old = await send(gitguardian.delivery(before.current!.value.reveal(), 'incident_regression'));
    expect(old).toMatchObject({ status: 200, body: { handled: true, matches: [expect.objectContaining({ slot: 'previous', action: 'not-revocable' })] } });
  });

  it('ignores events that report no leak, answers an unknown value as not managed, and refuses an incident without its hash', async () => {
    const value = (await policy('search-key')).current!.value.reveal();
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
