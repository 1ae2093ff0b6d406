import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DaemonProcess, expectNoSecretsInOutput, runCli } from '../../../helpers/daemon.js';
import { RECORDER } from '../../../helpers/paths.js';
import { admin, waitForEvent, writeSaasConfig } from '../../../helpers/saas.js';
import { openStore, STORE_KINDS } from '../../../helpers/store-kinds.js';
import { tempDir } from '../../../helpers/workspace.js';
import { GorgiasServer } from './stand-in.js';

const A = 'ops-a@acme.test';
const B = 'ops-b@acme.test';

describe('gorgias: reset-kills-old, handled single-user and with two users in turn', () => {
  const gorgias = new GorgiasServer('acme');
  const secrets: string[] = [];
  beforeAll(async () => {
    await gorgias.start();
  });
  afterAll(async () => {
    await gorgias.stop();
  });

  it('single-user: warns of the outage, pushes the key to consumers as soon as it arrives, confirms the old key dead', async () => {
    const dir = await tempDir();
    secrets.push(gorgias.reset(A)); // the key in use before rotad
    const config = await writeSaasConfig(
      dir,
      `
  - name: gorgias-helpdesk
    provider: { type: gorgias, domain: acme, strategy: single-user, email: ${A}, baseUrl: "${gorgias.url}" }
    schedule: { every: 90d }
    consumers:
      - { type: exec, command: [node, "${RECORDER}", "${dir}/handed.txt"], timeout: 10s }`,
    );
    const daemon = DaemonProcess.start(config);
    try {
      const asked = await waitForEvent(daemon, 'action-required');
      expect(asked.detail).toContain(`Reset the Gorgias REST API key of ${A}`);
      expect(asked.detail).toMatch(/Warning: Resetting invalidates the key in use at once: every consumer of gorgias-helpdesk fails/);

      const key = (await admin(gorgias.url, 'POST', `/users/${A}/reset`)).key as string;
      secrets.push(key);
      expect((await runCli(['submit', 'gorgias-helpdesk', '--config', config], {}, key)).code).toBe(0);
      await daemon.waitFor((e) => e.msg === 'Rotation completed');
      expect(await readFile(`${dir}/handed.txt`, 'utf8')).toContain(key);
      // The outage window rotad controls: from the hand-over reaching the daemon to the last consumer confirmed.
      const at = (msg: string) => Date.parse(String(daemon.entries.find((e) => e.msg === msg)?.time));
      console.info(`gorgias single-user: hand-over to consumers updated in ${at('Consumer updated') - at('Rotation requests received')} ms`);
      // No deletion request: the reset already killed the old key, so only the new one was ever asked for.
      expect(daemon.entries.filter((e) => e.event === 'action-required')).toHaveLength(1);
      const store = openStore({ type: 'file', path: `${dir}/state/secrets.enc`, key: { file: `${dir}/state/store.key` } });
      expect((await store.read({ name: 'gorgias-helpdesk' })).current).toMatchObject({ id: A });
    } finally {
      expect((await daemon.stop()).code).toBe(0);
    }
    expectNoSecretsInOutput(secrets);
  });

  it('alternating-users on OpenBao: each rotation resets the user not in use, consumers never hold a dead key; each version holds its user', async () => {
    const dir = await tempDir();
    const store = await STORE_KINDS.find((k) => k.type === 'vault')!.options();
    const path = `apps/gorgias-${Date.now()}`;
    const config = await writeSaasConfig(
      dir,
      `
  - name: gorgias-helpdesk
    provider: { type: gorgias, domain: acme, strategy: alternating-users, users: [${A}, ${B}], baseUrl: "${gorgias.url}" }
    secret: { path: "${path}", fields: { api_key: value, username: credentialId } }
    schedule: { every: 90d }
    consumers:
      - { type: exec, command: [node, "${RECORDER}", "${dir}/handed.txt"], timeout: 10s }`,
      store,
    );
    const daemon = DaemonProcess.start(config);
    const works = async (email: string, key: string) =>
      (await fetch(`${gorgias.url}/api/account`, { headers: { authorization: `Basic ${Buffer.from(`${email}:${key}`).toString('base64')}` } })).status === 200;
    try {
      expect((await waitForEvent(daemon, 'action-required')).detail).toContain(`Reset the Gorgias REST API key of ${A}`);
      const keyA = (await admin(gorgias.url, 'POST', `/users/${A}/reset`)).key as string;
      secrets.push(keyA);
      expect((await runCli(['submit', 'gorgias-helpdesk', '--config', config], {}, keyA)).code).toBe(0);
      await daemon.waitFor((e) => e.msg === 'Rotation completed');

      await runCli(['rotate', 'gorgias-helpdesk', '--config', config]);
      const second = await waitForEvent(daemon, 'action-required', 1);
      expect(second.detail).toContain(`Reset the Gorgias REST API key of ${B}`);
      expect(second.detail).not.toContain('Warning');
      const keyB = (await admin(gorgias.url, 'POST', `/users/${B}/reset`)).key as string;
      secrets.push(keyB);
      expect(await works(A, keyA)).toBe(true); // resetting B left A's key, the one in use, working
      expect((await runCli(['submit', 'gorgias-helpdesk', '--config', config], {}, keyB)).code).toBe(0);

      const deletion = await waitForEvent(daemon, 'action-required', 2);
      expect(deletion.detail).toContain(`Invalidate the old Gorgias API key of ${A}`);
      expect(await readFile(`${dir}/handed.txt`, 'utf8')).toContain(keyB); // consumers moved first
      await admin(gorgias.url, 'POST', `/users/${A}/reset`);
      await waitForEvent(daemon, 'revocation-confirmed');
      await daemon.waitFor((e) => e.msg === 'Rotation completed', 20_000, 1);

      const snapshot = await openStore(store).read({ name: 'gorgias-helpdesk', path, field: 'api_key' });
      // What an application reads: every KV version carries the key with its own user.
      const { address, rootToken } = inject('servers').vault;
      const version = async (v?: number) =>
        (
          (await (await fetch(`${address}/v1/secret/data/${path}${v ? `?version=${v}` : ''}`, { headers: { 'x-vault-token': rootToken } })).json()) as {
            data: { data: Record<string, string>; metadata: { version: number } };
          }
        ).data;
      const latest = await version();
      expect(latest.data).toEqual({ api_key: keyB, username: B });
      expect((await version(latest.metadata.version - 1)).data).toEqual({ api_key: keyA, username: A });
      expect(snapshot.current).toMatchObject({ id: B });
      expect(snapshot.current?.value.reveal()).toBe(keyB);
      expect(snapshot.previous?.revokedAt).toBeGreaterThan(0);
      expect(await works(B, keyB)).toBe(true);
    } finally {
      expect((await daemon.stop()).code).toBe(0);
    }
    expectNoSecretsInOutput(secrets);
  });
});
