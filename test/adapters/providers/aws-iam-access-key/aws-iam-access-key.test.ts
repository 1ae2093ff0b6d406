import { CreateAccessKeyCommand, IAMClient, ListAccessKeysCommand } from '@aws-sdk/client-iam';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DaemonProcess, expectNoSecretsInOutput, runCli } from '../../../helpers/daemon.js';
import { openExampleStore, readPolicy, secretsOf } from '../../../helpers/store.js';
import { tempDir } from '../../../helpers/workspace.js';
import { newIamUser } from './iam-user.js';

const { endpoint, region, credentialsFile } = inject('servers').aws;
process.env.AWS_SHARED_CREDENTIALS_FILE = credentialsFile;
const admin = new IAMClient({ endpoint, region, profile: 'rotad-iam-admin' });
const secrets: string[] = [];

/** rotad as a platform team runs it: the example config, its own identity the provider page's policy (profile rotad-iam-docs). */
const env = (user: string, quietFor: string): Record<string, string> => ({
  AWS_ENDPOINT_URL: endpoint,
  AWS_REGION: region,
  AWS_SHARED_CREDENTIALS_FILE: credentialsFile,
  AWS_PROFILE: 'rotad-iam-docs',
  ROTAD_IAM_USER: user,
  ROTAD_IAM_QUIET_FOR: quietFor,
  ROTAD_IAM_GRACE: '0s',
  ROTAD_HEALTH_PORT: '0',
});

/** The user's keys as IAM lists them: id and status. */
async function keysOf(user: string): Promise<Array<{ id: string; status: string }>> {
  const { AccessKeyMetadata } = await admin.send(new ListAccessKeysCommand({ UserName: user }));
  return (AccessKeyMetadata ?? []).map((k) => ({ id: k.AccessKeyId!, status: k.Status! }));
}

/** An application signing with a key: the ARN it is answered as, or the error name AWS refused it with. */
async function signWith(accessKeyId: string, secretAccessKey: string): Promise<string> {
  const sts = new STSClient({ endpoint, region, credentials: { accessKeyId, secretAccessKey } });
  try {
    return (await sts.send(new GetCallerIdentityCommand({}))).Arn ?? '';
  } catch (error) {
    return (error as Error).name;
  } finally {
    sts.destroy();
  }
}

const newUser = (): Promise<string> => newIamUser(admin, 'app');

describe('aws-iam-access-key on moto (IAM and STS, authentication on), with config/examples/aws-iam-access-key.yaml', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await tempDir();
  });
  afterAll(() => admin.destroy());

  it('creates and verifies a key, waits while the old key is in use, then deactivates and deletes it and confirms AWS refuses it', async () => {
    const user = await newUser();
    const daemon = DaemonProcess.start('config/examples/aws-iam-access-key.yaml', { ...env(user, '3s'), ROTAD_STATE_DIR: dir });
    let appRunning = true;
    try {
      await daemon.waitForMessage('Rotation completed', () => true, 30_000);
      const first = await readPolicy(dir, 'deploy-bot-key', openExampleStore(dir));
      secrets.push(...secretsOf(first));
      const oldId = first.current!.id!;
      const oldSecret = first.current!.value.reveal();
      expect(await keysOf(user)).toEqual([{ id: oldId, status: 'Active' }]);
      expect(await signWith(oldId, oldSecret)).toMatch(new RegExp(`:user/${user}$`));

      // An application keeps signing with the old key while the next rotation runs.
      const app = (async () => {
        while (appRunning) {
          await signWith(oldId, oldSecret);
          await new Promise((resolve) => setTimeout(resolve, 300));
        }
      })();
      expect(
        (await runCli(['rotate', 'deploy-bot-key', '--config', 'config/examples/aws-iam-access-key.yaml'], { ...env(user, '3s'), ROTAD_STATE_DIR: dir })).code,
      ).toBe(0);
      const inUse = await daemon.waitForMessage('Step failed, retrying', (e) => e.phase === 'revoke', 30_000);
      expect(JSON.stringify(inUse.error)).toMatch(new RegExp(`CREDENTIAL_IN_USE.*access key ${oldId} of IAM user ${user} was used .* ago \\(sts`));
      expect(await keysOf(user)).toContainEqual({ id: oldId, status: 'Active' });
      appRunning = false;
      await app;
      const stoppedAt = Date.now();

      await daemon.waitForMessage('Rotation completed', () => true, 60_000, 1);
      const second = await readPolicy(dir, 'deploy-bot-key', openExampleStore(dir));
      secrets.push(...secretsOf(second));
      const newId = second.current!.id!;
      expect(newId).not.toBe(oldId);
      expect(await keysOf(user)).toEqual([{ id: newId, status: 'Active' }]);
      expect(second.previous).toMatchObject({ id: oldId, revokedAt: expect.any(Number) });
      // Deactivated only after the old key had been quiet for quietFor.
      const deactivated = daemon.entries.find((e) => e.msg === 'Old AWS access key deactivated');
      expect(Date.parse(String(deactivated?.time)) - stoppedAt).toBeGreaterThanOrEqual(2_000);
      expect(await signWith(oldId, oldSecret)).toBe('InvalidClientTokenId');
      expect(await signWith(newId, second.current!.value.reveal())).toMatch(new RegExp(`:user/${user}$`));
    } finally {
      appRunning = false;
      expect((await daemon.stop()).code).toBe(0);
    }
    expectNoSecretsInOutput(secrets);
  }, 120_000);

  it('with two keys already, stops before creating one and names the key to remove; rotad plan says what each step does', async () => {
    const user = await newUser();
    const stray = await admin.send(new CreateAccessKeyCommand({ UserName: user }));
    const state = await tempDir();
    const daemon = DaemonProcess.start('config/examples/aws-iam-access-key.yaml', { ...env(user, '0s'), ROTAD_STATE_DIR: state });
    try {
      await daemon.waitForMessage('Rotation completed', () => true, 30_000);
      const first = await readPolicy(state, 'deploy-bot-key', openExampleStore(state));
      secrets.push(...secretsOf(first), stray.AccessKey!.SecretAccessKey!);
      expect(
        (await runCli(['rotate', 'deploy-bot-key', '--config', 'config/examples/aws-iam-access-key.yaml'], { ...env(user, '0s'), ROTAD_STATE_DIR: state }))
          .code,
      ).toBe(0);
      const stopped = await daemon.waitForMessage('Rotation needs attention', () => true, 30_000);
      expect(stopped).toMatchObject({ phase: 'obtain', code: 'PROVIDER_LIMIT_REACHED' });
      expect(String(stopped.reason)).toContain(`Delete ${stray.AccessKey!.AccessKeyId}`);
      expect((await keysOf(user)).map((k) => k.id).sort()).toEqual([first.current!.id!, stray.AccessKey!.AccessKeyId!].sort());
      expect((await readPolicy(state, 'deploy-bot-key', openExampleStore(state))).current?.id).toBe(first.current!.id);
    } finally {
      expect((await daemon.stop()).code).toBe(0);
    }
    const plan = await runCli(['plan', '--config', 'config/examples/aws-iam-access-key.yaml'], { ...env(user, '10m'), ROTAD_STATE_DIR: state });
    expect(plan.stdout).toContain(`sts:GetCallerIdentity signed with the new key: it must answer as user ${user}`);
    expect(plan.stdout).toContain('once the old key has not been used for 10m');
    const checked = await runCli(['check', '--config', 'config/examples/aws-iam-access-key.yaml'], { ...env(user, '10m'), ROTAD_STATE_DIR: state });
    expect(checked.stdout).toContain(`rotad's AWS identity may list the access keys of ${user} (2 of 2 in use: the next rotation needs one removed)`);
    expectNoSecretsInOutput(secrets);
  }, 90_000);

  it('refused permissions and an unreachable endpoint: a message naming the action, nothing created', async () => {
    const user = await newUser();
    const state = await tempDir();
    const denied = DaemonProcess.start('config/examples/aws-iam-access-key.yaml', { ...env(user, '0s'), AWS_PROFILE: 'rotad-denied', ROTAD_STATE_DIR: state });
    try {
      const stopped = await denied.waitForMessage('Rotation needs attention', () => true, 30_000);
      expect(stopped).toMatchObject({ phase: 'obtain', code: 'PROVIDER_REJECTED' });
      expect(String(stopped.reason)).toMatch(new RegExp(`AWS refused iam:ListAccessKeys for user ${user}`));
      expect(await keysOf(user)).toEqual([]);
    } finally {
      expect((await denied.stop()).code).toBe(0);
    }
    const down = DaemonProcess.start('config/examples/aws-iam-access-key.yaml', {
      ...env(user, '0s'),
      AWS_ENDPOINT_URL: 'http://127.0.0.1:1',
      ROTAD_STATE_DIR: await tempDir(),
    });
    try {
      const retried = await down.waitForMessage('Step failed, retrying', () => true, 30_000);
      expect(JSON.stringify(retried.error)).toMatch(/PROVIDER_UNAVAILABLE.*iam:ListAccessKeys/);
    } finally {
      expect((await down.stop()).code).toBe(0);
    }
  }, 90_000);
});
