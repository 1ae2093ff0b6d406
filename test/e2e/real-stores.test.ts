import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { GetSecretValueCommand, DescribeSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { describe, expect, inject, it } from 'vitest';
import { capturedOutput, DaemonProcess, expectNoSecretsInOutput, runCli } from '../helpers/daemon.js';
import { ROOT } from '../helpers/paths.js';
import { openStore, STORE_KINDS } from '../helpers/store-kinds.js';
import { tempDir, writeConfig } from '../helpers/workspace.js';

const run = promisify(execFile);
const kind = (type: string) => STORE_KINDS.find((k) => k.type === type)!;
const completed = (n: number) => (d: DaemonProcess) => d.waitFor((e) => e.msg === 'Rotation completed', 20_000, n - 1);

/** Starts the daemon on `store`, waits for the initial rotation, triggers a second with SIGUSR2, stops. */
async function rotateTwice(store: Record<string, unknown>, secret?: { path?: string; field?: string }): Promise<string> {
  const dir = await tempDir();
  const config = await writeConfig(dir, [{ name: 'e2e', rotateOnSignal: true, secret }], 'rotad.yaml', store);
  const daemon = DaemonProcess.start(config);
  await completed(1)(daemon);
  daemon.signal('SIGUSR2');
  await completed(2)(daemon);
  expect((await daemon.stop()).code).toBe(0);
  return config;
}

describe('the daemon rotates into real stores, read back with their own tools', () => {
  it('OpenBao: `bao kv get` shows the new value, the old one as the previous version, other fields kept', async () => {
    const { address, rootToken } = inject('servers').vault;
    const options = await kind('vault').options();
    const path = `apps/e2e-${Date.now()}/billing`;
    const env = { ...process.env, VAULT_ADDR: address, VAULT_TOKEN: rootToken };
    const bao = (...args: string[]) => run(`${ROOT}.venv/bin/bao`, args, { env }).then((r) => JSON.parse(r.stdout) as { data: { data: Record<string, string>; metadata: { version: number } } });
    // The application's secret already exists, with a field rotad must keep.
    await run(`${ROOT}.venv/bin/bao`, ['kv', 'put', '-mount=secret', path, 'email=api@example.com', 'token=initial-token-set-by-hand'], { env });

    await rotateTwice(options, { path, field: 'token' });

    const latest = await bao('kv', 'get', '-format=json', '-mount=secret', path);
    const snapshot = await openStore(options).read({ name: 'e2e', path, field: 'token' });
    expect(latest.data.data).toEqual({ email: 'api@example.com', token: snapshot.current!.value.reveal() });
    expect(latest.data.metadata.version).toBe(3);
    const previous = await bao('kv', 'get', '-format=json', '-mount=secret', `-version=${latest.data.metadata.version - 1}`, path);
    expect(previous.data.data.token).toBe(snapshot.previous!.value.reveal());
    expect((await bao('kv', 'get', '-format=json', '-mount=secret', '-version=1', path)).data.data.token).toBe('initial-token-set-by-hand');
    const metadata = JSON.parse((await run(`${ROOT}.venv/bin/bao`, ['kv', 'metadata', 'get', '-format=json', '-mount=secret', path], { env })).stdout) as { data: { custom_metadata: Record<string, string> } };
    expect(metadata.data.custom_metadata).toMatchObject({ rotad_rotation_id: snapshot.current!.rotationId });
    expect(JSON.stringify(metadata)).not.toContain(snapshot.current!.value.reveal());
    expectNoSecretsInOutput([snapshot.current!.value.reveal(), snapshot.previous!.value.reveal()]);
  });

  it('moto: GetSecretValue with AWSCURRENT and AWSPREVIOUS shows the new and the old value', async () => {
    const { endpoint, region, allowed } = inject('servers').aws;
    const options = await kind('aws-secrets-manager').options();
    const name = `apps/e2e-${Date.now()}/db`;
    const config = await rotateTwice(options, { path: name });
    // The SDK's notice about Node versions of its future releases is not rotad's output, in the daemon or the CLI.
    const status = await runCli(['status', '--config', config]);
    expect(status.code).toBe(0);
    expect(capturedOutput.join('\n')).not.toMatch(/NodeVersionSupportWarning|AWS SDK for JavaScript/);

    const sdk = new SecretsManagerClient({ endpoint, region, credentials: allowed });
    const current = await sdk.send(new GetSecretValueCommand({ SecretId: name, VersionStage: 'AWSCURRENT' }));
    const previous = await sdk.send(new GetSecretValueCommand({ SecretId: name, VersionStage: 'AWSPREVIOUS' }));
    const snapshot = await openStore(options).read({ name: 'e2e', path: name });
    expect(current.SecretString).toBe(snapshot.current!.value.reveal());
    expect(previous.SecretString).toBe(snapshot.previous!.value.reveal());
    expect(current.VersionId).toBe(snapshot.current!.rotationId);
    const described = await sdk.send(new DescribeSecretCommand({ SecretId: name }));
    expect(Object.values(described.VersionIdsToStages ?? {}).flat().filter((l) => l === 'AWSPENDING')).toHaveLength(0);
    expect(described.Tags).toEqual(expect.arrayContaining([{ Key: 'rotad:rotation-id', Value: snapshot.current!.rotationId }]));
    sdk.destroy();
    expectNoSecretsInOutput([snapshot.current!.value.reveal(), snapshot.previous!.value.reveal()]);
  });
});
