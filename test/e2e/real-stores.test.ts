import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { GetSecretValueCommand, DescribeSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { describe, expect, inject, it } from 'vitest';
import { capturedOutput, DaemonProcess, expectNoSecretsInOutput, runCli } from '../helpers/daemon.js';
import { ROOT } from '../helpers/paths.js';
import { openStore, STORE_KINDS } from '../helpers/store-kinds.js';
import { Secret } from '../../src/secret.js';
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
    const bao = (...args: string[]) =>
      run(`${ROOT}.venv/bin/bao`, args, { env }).then((r) => JSON.parse(r.stdout) as { data: { data: Record<string, string>; metadata: { version: number } } });
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
    const metadata = JSON.parse((await run(`${ROOT}.venv/bin/bao`, ['kv', 'metadata', 'get', '-format=json', '-mount=secret', path], { env })).stdout) as {
      data: { custom_metadata: Record<string, string> };
    };
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
    // AWSPENDING is on no version, or on the current one (a finished rotation, as AWS documents it for RotateSecret).
    const pendingOn = Object.entries(described.VersionIdsToStages ?? {})
      .filter(([, labels]) => labels.includes('AWSPENDING'))
      .map(([id]) => id);
    expect(pendingOn.filter((id) => id !== current.VersionId)).toEqual([]);
    expect(described.Tags).toEqual(expect.arrayContaining([{ Key: 'rotad:rotation-id', Value: snapshot.current!.rotationId }]));
    sdk.destroy();
    expectNoSecretsInOutput([snapshot.current!.value.reveal(), snapshot.previous!.value.reveal()]);
  });
});

describe('secret.fields: every version applications read carries its own facts', () => {
  const facts = { username: 'credentialId', expires_at: 'expiresAt' } as const;
  const credential = (value: string, id: string, expiresAt: number, rotationId: string) => ({
    value: new Secret(value),
    id,
    expiresAt,
    rotationId,
    createdAt: Date.now(),
  });
  /** Two rotations, as gorgias alternating-users makes them: each key belongs to another user. */
  async function twoUsers(options: Record<string, unknown>, ref: { name: string; path: string; field: string; facts: typeof facts }) {
    const store = openStore(options);
    const a = credential(`key-of-a-${Date.now()}`, 'api-a@acme.example', Date.parse('2027-01-01T00:00:00Z'), `20270101T000000000Z-${Date.now()}a0000000`);
    const b = credential(`key-of-b-${Date.now()}`, 'api-b@acme.example', Date.parse('2027-02-01T00:00:00Z'), `20270201T000000000Z-${Date.now()}b0000000`);
    for (const c of [a, b]) {
      await store.stagePending(ref, c);
      await store.promote(ref, c.rotationId);
    }
    await store.close();
    return { a, b };
  }

  it('OpenBao: the current and the previous KV version each hold their key, username and expiry', async () => {
    const { address, rootToken } = inject('servers').vault;
    const env = { ...process.env, VAULT_ADDR: address, VAULT_TOKEN: rootToken };
    const path = `apps/fields-${Date.now()}/gorgias`;
    const { a, b } = await twoUsers(await kind('vault').options(), { name: 'fields', path, field: 'api_key', facts });
    const version = async (v?: number) =>
      (
        JSON.parse(
          (await run(`${ROOT}.venv/bin/bao`, ['kv', 'get', '-format=json', '-mount=secret', ...(v ? [`-version=${v}`] : []), path], { env })).stdout,
        ) as { data: { data: Record<string, string>; metadata: { version: number } } }
      ).data;
    const latest = await version();
    expect(latest.data).toEqual({ api_key: b.value.reveal(), username: 'api-b@acme.example', expires_at: '2027-02-01T00:00:00.000Z' });
    expect((await version(latest.metadata.version - 1)).data).toEqual({
      api_key: a.value.reveal(),
      username: 'api-a@acme.example',
      expires_at: '2027-01-01T00:00:00.000Z',
    });
    expectNoSecretsInOutput([a.value.reveal(), b.value.reveal()]);
  });

  it('moto: AWSCURRENT and AWSPREVIOUS are JSON, each with its key, username and expiry', async () => {
    const { endpoint, region, allowed } = inject('servers').aws;
    const name = `apps/fields-${Date.now()}/gorgias`;
    const { a, b } = await twoUsers(await kind('aws-secrets-manager').options(), { name: 'fields', path: name, field: 'api_key', facts });
    const sdk = new SecretsManagerClient({ endpoint, region, credentials: allowed });
    const read = async (stage: string) =>
      JSON.parse((await sdk.send(new GetSecretValueCommand({ SecretId: name, VersionStage: stage }))).SecretString!) as Record<string, string>;
    expect(await read('AWSCURRENT')).toEqual({ api_key: b.value.reveal(), username: 'api-b@acme.example', expires_at: '2027-02-01T00:00:00.000Z' });
    expect(await read('AWSPREVIOUS')).toEqual({ api_key: a.value.reveal(), username: 'api-a@acme.example', expires_at: '2027-01-01T00:00:00.000Z' });
    sdk.destroy();
  });
});
