import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DaemonProcess, expectNoSecretsInOutput, runCli } from '../../../helpers/daemon.js';
import { admin, waitForEvent, writeSaasConfig } from '../../../helpers/saas.js';
import { openStore, STORE_KINDS } from '../../../helpers/store-kinds.js';
import { tempDir } from '../../../helpers/workspace.js';
import { CutoverServer } from './stand-in.js';

const CORE = 'https://acme.cutover.com';

describe('cutover: a person creates the token, rotad finds its id and expiry, deletes the old one by API', () => {
  const cutover = new CutoverServer(CORE);
  const secrets: string[] = [];
  beforeAll(async () => {
    await cutover.start();
  });
  afterAll(async () => {
    await cutover.stop();
  });

  it('on moto (AWS Secrets Manager): verify, promote, delete the old token, confirm it gets 401', async () => {
    const dir = await tempDir();
    const store = await STORE_KINDS.find((k) => k.type === 'aws-secrets-manager')!.options();
    const config = await writeSaasConfig(
      dir,
      `
  - name: cutover-runbooks
    provider: { type: cutover, baseUrl: "${cutover.url}", coreUrl: "${CORE}", userId: 42, userName: rotad-bot }
    schedule: { every: 60d }`,
      store,
    );
    const daemon = DaemonProcess.start(config);
    try {
      const first = await waitForEvent(daemon, 'action-required');
      const label = /Label it exactly: (.+)/.exec(String(first.detail))![1]!;
      expect(first.detail).toContain('Access Management → Users → rotad-bot → User App Tokens → Create');

      // Not 48 hex characters: refused before any call.
      const short = await runCli(['submit', 'cutover-runbooks', '--config', config], {}, 'abc123');
      expect(short.stderr).toContain('expected 48 hexadecimal characters');
      // A token of another user: Cutover answers 403 for user 42's list, so it is refused.
      const other = cutover.createToken('7', 'someone else');
      secrets.push(other.value);
      const wrongUser = await runCli(['submit', 'cutover-runbooks', '--config', config], {}, other.value);
      expect(wrongUser.code).toBe(1);
      expect(wrongUser.stderr).toContain('answered 403');

      const t1 = cutover.createToken('42', label, 90);
      secrets.push(t1.value);
      expect((await runCli(['submit', 'cutover-runbooks', '--config', config], {}, t1.value)).code).toBe(0);
      await daemon.waitFor((e) => e.msg === 'Rotation completed');
      const afterFirst = await openStore(store).read({ name: 'cutover-runbooks' });
      expect(afterFirst.current).toMatchObject({ id: t1.id, expiresAt: Date.parse(t1.expires_at!) });

      cutover.calls.length = 0;
      await runCli(['rotate', 'cutover-runbooks', '--config', config]);
      const label2 = /Label it exactly: (.+)/.exec(String((await waitForEvent(daemon, 'action-required', 1)).detail))![1]!;
      const t2 = await admin(cutover.url, 'POST', '/users/42/tokens', { label: label2, expiresInDays: 90 });
      secrets.push(t2.token as string);
      expect((await runCli(['submit', 'cutover-runbooks', '--config', config], {}, t2.token as string)).code).toBe(0);
      await waitForEvent(daemon, 'revocation-confirmed');
      await daemon.waitFor((e) => e.msg === 'Rotation completed', 20_000, 1);

      // Order: the new token lists tokens (verify) → DELETE of the old one with the new one → old gets 401.
      const verify = cutover.calls.find((c) => c.method === 'GET' && c.as === t2.id && c.status === 200)!;
      const deleted = cutover.seen('DELETE', `/user_app_tokens/${t1.id}`)[0]!;
      const rejected = cutover.calls.filter((c) => c.method === 'GET' && c.status === 401).at(-1)!;
      expect(deleted).toMatchObject({ status: 204, as: t2.id });
      expect(verify.seq).toBeLessThan(deleted.seq);
      expect(deleted.seq).toBeLessThan(rejected.seq);
      expect(cutover.users.get('42')!.map((t) => t.id)).toEqual([t2.id]);
      const snapshot = await openStore(store).read({ name: 'cutover-runbooks' });
      expect(snapshot.current).toMatchObject({ id: t2.id });
      expect(snapshot.previous?.revokedAt).toBeGreaterThan(0);
    } finally {
      expect((await daemon.stop()).code).toBe(0);
    }
    expectNoSecretsInOutput(secrets);
  });
});
