import { describe, expect, inject, it } from 'vitest';
import { DaemonProcess, expectNoSecretsInOutput } from '../helpers/daemon.js';
import { openStore } from '../helpers/store-kinds.js';
import { tempDir } from '../helpers/workspace.js';

/** Runs an example config as shipped, with only the standard environment variables set. */
async function runExample(file: string, env: Record<string, string>, policies: string[]): Promise<void> {
  const stateDir = await tempDir();
  const daemon = DaemonProcess.start(file, { ...env, ROTAD_STATE_DIR: stateDir, ROTAD_HEALTH_PORT: '0' });
  for (const policy of policies) await daemon.waitFor((e) => e.msg === 'Rotation completed' && e.policy === policy, 20_000);
  expect((await daemon.stop()).code).toBe(0);
}

describe('the example configs run as they are against the local servers', () => {
  it('config/examples/vault.yaml with VAULT_ADDR and VAULT_TOKEN', async () => {
    const { address, rootToken } = inject('servers').vault;
    await runExample('config/examples/vault.yaml', { VAULT_ADDR: address, VAULT_TOKEN: rootToken }, ['demo-api-token', 'demo-signing-key']);
    process.env.ROTAD_TEST_VAULT_TOKEN = rootToken;
    const store = openStore({ type: 'vault', address, auth: { method: 'token', tokenEnv: 'ROTAD_TEST_VAULT_TOKEN' } });
    const token = await store.read({ name: 'demo-api-token', path: 'rotad/demo/api-token', field: 'token' });
    expect(token.current?.value.reveal()).toMatch(/^[A-Za-z0-9_-]{40}$/);
    expectNoSecretsInOutput([token.current!.value.reveal()]);
  });

  it('config/examples/aws-secrets-manager.yaml with AWS_ENDPOINT_URL, AWS_REGION and access keys', async () => {
    const { endpoint, region, allowed } = inject('servers').aws;
    const env = {
      AWS_ENDPOINT_URL: endpoint,
      AWS_REGION: region,
      AWS_ACCESS_KEY_ID: allowed.accessKeyId,
      AWS_SECRET_ACCESS_KEY: allowed.secretAccessKey,
      AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
      AWS_PROFILE: '',
    };
    await runExample('config/examples/aws-secrets-manager.yaml', env, ['demo-db-password', 'demo-partner-api']);
    process.env.AWS_SHARED_CREDENTIALS_FILE = inject('servers').aws.credentialsFile;
    const store = openStore({ type: 'aws-secrets-manager', endpoint, region, profile: 'rotad-test' });
    const password = await store.read({ name: 'demo-db-password', path: 'rotad/demo-db-password' });
    expect(password.current?.value.reveal()).toMatch(/^[A-Za-z0-9]{32}$/);
    expectNoSecretsInOutput([password.current!.value.reveal()]);
  });
});
