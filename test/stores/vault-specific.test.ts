import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { systemClock } from '../../src/clock.js';
import { randomProvider } from '../../src/providers/random/index.js';
import { runRotation } from '../../src/rotation/engine.js';
import { rollbackPolicy } from '../../src/rotation/rollback.js';
import { FakeClock, policyRuntime } from '../helpers/engine-doubles.js';
import { ROOT } from '../helpers/paths.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { openStore } from '../helpers/store-kinds.js';
import { tempDir } from '../helpers/workspace.js';
import { documentedVaultPolicy, vaultRoot } from '../helpers/vault-admin.js';

const servers = () => inject('servers').vault;
const random = () => randomProvider.create({ type: 'random', length: 24, alphabet: 'alphanumeric', encoding: 'raw' });
const rotate = (options: Record<string, unknown>, name = 'p') =>
  runRotation(
    { ...policyRuntime({ store: openStore(options), provider: random(), clock: new FakeClock() }), name, ref: { name }, clock: systemClock },
    'cli',
    new AbortController().signal,
  );

describe('vault store on a real OpenBao', () => {
  it('the minimal policy in the docs is enough for a rotation, and grants nothing beyond its paths', async () => {
    await vaultRoot('PUT', 'sys/policies/acl/rotad-docs', { policy: await documentedVaultPolicy() });
    const token = (await vaultRoot('POST', 'auth/token/create', { policies: ['rotad-docs'], no_default_policy: true, ttl: '10m' })).auth.client_token as string;
    process.env.ROTAD_TEST_DOCS_TOKEN = token;
    const options = { type: 'vault', address: servers().address, auth: { method: 'token', tokenEnv: 'ROTAD_TEST_DOCS_TOKEN' } };
    const name = `docs-${Date.now()}`;
    expect(await rotate(options, name)).toMatchObject({ status: 'completed' });
    expect(await rotate(options, name)).toMatchObject({ status: 'completed' });
    expect((await openStore(options).read({ name })).previous).toBeDefined();
    await expect(openStore({ ...options, path: 'elsewhere/{policy}' }).read({ name })).rejects.toMatchObject({ code: 'STORE_ACCESS_DENIED' });

    // A person hands a token over with the real bao CLI; rotad (with the documented policy) takes it and destroys it.
    const env = { ...process.env, VAULT_ADDR: servers().address, VAULT_TOKEN: servers().rootToken };
    await promisify(execFile)(`${ROOT}.venv/bin/bao`, ['kv', 'put', '-mount=secret', `rotad-handover/${name}`, 'value=handed-over-token-91be'], { env });
    const store = openStore(options);
    expect((await store.takeHandover!({ name }))?.reveal()).toBe('handed-over-token-91be');
    await store.clearHandover!({ name });
    expect(await store.takeHandover!({ name })).toBeUndefined();
    await expect(vaultRoot('GET', `secret/metadata/rotad-handover/${name}`)).rejects.toThrow(/404/);
  });

  it('a policy without "patch" on metadata (written before rotad used PATCH) still rotates, and the facts still land', async () => {
    const withoutPatch = (await documentedVaultPolicy()).replace(', "patch"', '');
    expect(withoutPatch).not.toMatch(/capabilities = \[[^\]]*"patch"/);
    await vaultRoot('PUT', 'sys/policies/acl/rotad-no-patch', { policy: withoutPatch });
    process.env.ROTAD_TEST_NO_PATCH_TOKEN = (
      await vaultRoot('POST', 'auth/token/create', { policies: ['rotad-no-patch'], no_default_policy: true, ttl: '10m' })
    ).auth.client_token as string;
    const options = { type: 'vault', address: servers().address, auth: { method: 'token', tokenEnv: 'ROTAD_TEST_NO_PATCH_TOKEN' } };
    const name = `no-patch-${Date.now()}`;
    const first = await rotate(options, name);
    expect(first).toMatchObject({ status: 'completed' });
    expect(await rotate(options, name)).toMatchObject({ status: 'completed' });
    const facts = (await vaultRoot('GET', `secret/metadata/rotad/${name}`)).data.custom_metadata as Record<string, string>;
    expect(facts.rotad_rotation_id).toMatch(/^\d{8}T/);
    expect(facts.rotad_rotation_id).not.toBe((first as { rotationId: string }).rotationId);
  });

  it('AppRole: logs in with role id and secret id, and logs in again once its token has ended', async () => {
    await vaultRoot('PUT', 'sys/policies/acl/rotad-approle', { policy: await documentedVaultPolicy() });
    await vaultRoot('POST', 'auth/approle/role/rotad', { token_policies: ['rotad-approle'], token_ttl: '10m', token_max_ttl: '10m' });
    const roleId = (await vaultRoot('GET', 'auth/approle/role/rotad/role-id')).data.role_id as string;
    const secretId = (await vaultRoot('POST', 'auth/approle/role/rotad/secret-id', {})).data.secret_id as string;
    const dir = await tempDir();
    await writeFile(join(dir, 'secret-id'), secretId, { mode: 0o600 });
    const options = { type: 'vault', address: servers().address, auth: { method: 'approle', roleId, secretIdFile: join(dir, 'secret-id') } };
    const store = openStore(options);
    const name = `approle-${Date.now()}`;
    expect(await rotate(options, name)).toMatchObject({ status: 'completed' });
    await store.read({ name });
    // The token it logged in with ends (as at the end of its TTL): every AppRole token is revoked.
    const accessors = (await vaultRoot('LIST', 'auth/token/accessors')).data.keys as string[];
    let revoked = 0;
    for (const accessor of accessors) {
      const { data } = await vaultRoot('POST', 'auth/token/lookup-accessor', { accessor });
      if (!(data.policies as string[]).includes('rotad-approle')) continue;
      await vaultRoot('POST', 'auth/token/revoke-accessor', { accessor });
      revoked += 1;
    }
    expect(revoked).toBeGreaterThan(0);
    await expect(store.read({ name })).resolves.toMatchObject({ state: { phase: 'idle' } });
  });

  it('renews a renewable token once two thirds of its TTL have passed (a static token cannot log in again)', async () => {
    // The store's clock is a manual one: its TTL arithmetic is driven by the test, the renewal is
    // seen by the server (its last_renewal_time), and nothing waits on real time.
    const token = (await vaultRoot('POST', 'auth/token/create', { policies: ['root'], ttl: '1h', renewable: true })).auth.client_token as string;
    const renewedAt = async (): Promise<number> => Number((await vaultRoot('POST', 'auth/token/lookup', { token })).data.last_renewal_time ?? 0);
    process.env.ROTAD_TEST_SHORT_TOKEN = token;
    const clock = new ManualClock();
    const store = openStore({ type: 'vault', address: servers().address, auth: { method: 'token', tokenEnv: 'ROTAD_TEST_SHORT_TOKEN' } }, clock);
    await store.ping();
    await clock.advance(39 * 60_000);
    await store.ping(); // before two thirds of the TTL: not renewed
    expect(await renewedAt()).toBe(0);
    await clock.advance(2 * 60_000);
    await store.ping(); // past two thirds: renewed here
    expect(await renewedAt()).toBeGreaterThan(0);
    await expect(store.ping()).resolves.toBeUndefined();
  });

  it('keeps the secret’s other fields, and never writes the pending value to the path applications read', async () => {
    const options = { type: 'vault', address: servers().address, auth: { method: 'token', tokenEnv: 'ROTAD_TEST_VAULT_TOKEN' } };
    process.env.ROTAD_TEST_VAULT_TOKEN = servers().rootToken;
    const ref = { name: 'fields', path: `apps/fields-${Date.now()}`, field: 'token' };
    await vaultRoot('POST', `secret/data/${ref.path}`, { data: { email: 'api@example.com', token: 'hand-made' } });
    const store = openStore(options);
    await store.stagePending(ref, { value: (await random().obtain!({} as never, undefined)).value, rotationId: 'r-fields-1', createdAt: 1 });
    const duringStage = await vaultRoot('GET', `secret/data/${ref.path}`);
    expect(duringStage.data.metadata.version).toBe(1);
    expect(duringStage.data.data).toEqual({ email: 'api@example.com', token: 'hand-made' });
    await store.promote(ref, 'r-fields-1');
    const after = await vaultRoot('GET', `secret/data/${ref.path}`);
    expect(after.data.data.email).toBe('api@example.com');
    expect((await store.read(ref)).previous?.value.reveal()).toBe('hand-made');
  });

  it('namespace: everything lands in the configured namespace (X-Vault-Namespace), nothing in the root one', async () => {
    const namespace = `team-${Date.now()}`;
    await vaultRoot('POST', `sys/namespaces/${namespace}`, {});
    const { address, rootToken } = servers();
    await fetch(`${address}/v1/sys/mounts/secret`, {
      method: 'POST',
      headers: { 'x-vault-token': rootToken, 'x-vault-namespace': namespace },
      body: JSON.stringify({ type: 'kv', options: { version: '2' } }),
    });
    process.env.ROTAD_TEST_VAULT_TOKEN = rootToken;
    const options = { type: 'vault', address, namespace, path: 'apps/{policy}', auth: { method: 'token', tokenEnv: 'ROTAD_TEST_VAULT_TOKEN' } };
    expect(await rotate(options, 'namespaced')).toMatchObject({ status: 'completed' });
    const inNamespace = await fetch(`${address}/v1/secret/data/apps/namespaced`, { headers: { 'x-vault-token': rootToken, 'x-vault-namespace': namespace } });
    expect(inNamespace.status).toBe(200);
    const stored = ((await inNamespace.json()) as { data: { data: { value: string } } }).data.data.value;
    expect(stored).toBe((await openStore(options).read({ name: 'namespaced' })).current?.value.reveal());
    expect((await fetch(`${address}/v1/secret/data/apps/namespaced`, { headers: { 'x-vault-token': rootToken } })).status).toBe(404);
  });

  it('respects max_versions: with the previous version pruned, rollback refuses instead of guessing', async () => {
    process.env.ROTAD_TEST_VAULT_TOKEN = servers().rootToken;
    const path = `apps/pruned-${Date.now()}`;
    await vaultRoot('POST', `secret/metadata/${path}`, { max_versions: 1 });
    const options = { type: 'vault', address: servers().address, path, auth: { method: 'token', tokenEnv: 'ROTAD_TEST_VAULT_TOKEN' } };
    await rotate(options);
    await rotate(options);
    const snapshot = await openStore(options).read({ name: 'p' });
    expect(snapshot.current).toBeDefined();
    expect(snapshot.previous).toBeUndefined();
    await expect(rollbackPolicy({ ...policyRuntime({ store: openStore(options), provider: random(), clock: new FakeClock() }) })).rejects.toMatchObject({
      code: 'ROLLBACK_UNSAFE',
    });
    expect((await vaultRoot('GET', `secret/metadata/${path}`)).data.max_versions).toBe(1);
  });
});

describe('vault store: Kubernetes auth on a real OpenBao', () => {
  it('logs in with the service-account token through a TokenReview API, and rotates', async () => {
    const { createServer } = await import('node:http');
    const reviews: Array<{ authorization?: string | undefined; token?: string | undefined }> = [];
    // Plays the one Kubernetes endpoint OpenBao calls: TokenReview, for the service account platform/rotad.
    const kubernetes = createServer((request, response) => {
      let body = '';
      request.on('data', (c: Buffer) => {
        body += c.toString();
      });
      request.on('end', () => {
        const token = (JSON.parse(body) as { spec?: { token?: string } }).spec?.token;
        reviews.push({ authorization: request.headers.authorization, token });
        response.writeHead(201, { 'content-type': 'application/json' }).end(
          JSON.stringify({
            apiVersion: 'authentication.k8s.io/v1',
            kind: 'TokenReview',
            status:
              token === jwt
                ? {
                    authenticated: true,
                    user: { username: 'system:serviceaccount:platform:rotad', uid: '5a0c3b1e-2f4d-4c6b-9e8a-7d1f0b2c3a4e', groups: ['system:serviceaccounts'] },
                  }
                : { authenticated: false },
          }),
        );
      });
    });
    await new Promise<void>((resolve) => kubernetes.listen(0, '127.0.0.1', resolve));
    const port = (kubernetes.address() as { port: number }).port;
    const segment = (o: object): string => Buffer.from(JSON.stringify(o)).toString('base64url');
    const jwt = `${segment({ alg: 'RS256', typ: 'JWT' })}.${segment({
      iss: 'kubernetes/serviceaccount',
      sub: 'system:serviceaccount:platform:rotad',
      'kubernetes.io/serviceaccount/namespace': 'platform',
      'kubernetes.io/serviceaccount/service-account.name': 'rotad',
      'kubernetes.io/serviceaccount/service-account.uid': '5a0c3b1e-2f4d-4c6b-9e8a-7d1f0b2c3a4e',
    })}.c2lnbmF0dXJl`;
    try {
      const mount = `kubernetes-${Date.now()}`;
      await vaultRoot('POST', `sys/auth/${mount}`, { type: 'kubernetes' });
      // OpenBao insists on a CA outside a pod; the stand-in API is plain HTTP, so this one is never used.
      const ca = await readFile(join(ROOT, 'test/fixtures/unused-kubernetes-ca.pem'), 'utf8');
      await vaultRoot('POST', `auth/${mount}/config`, { kubernetes_host: `http://127.0.0.1:${port}`, kubernetes_ca_cert: ca, disable_local_ca_jwt: true });
      await vaultRoot('PUT', 'sys/policies/acl/rotad-k8s', { policy: await documentedVaultPolicy() });
      await vaultRoot('POST', `auth/${mount}/role/rotad`, {
        bound_service_account_names: ['rotad'],
        bound_service_account_namespaces: ['platform'],
        token_policies: ['rotad-k8s'],
        token_ttl: '10m',
      });
      const dir = await tempDir();
      await writeFile(join(dir, 'token'), jwt, { mode: 0o600 });
      const options = { type: 'vault', address: servers().address, auth: { method: 'kubernetes', mount, role: 'rotad', jwtFile: join(dir, 'token') } };
      expect(await rotate(options, `k8s-${Date.now()}`)).toMatchObject({ status: 'completed' });
      expect(reviews.at(0)?.token).toBe(jwt);
      // A token Kubernetes does not vouch for is refused.
      const intruder = `${segment({ alg: 'RS256', typ: 'JWT' })}.${segment({ iss: 'kubernetes/serviceaccount', sub: 'system:serviceaccount:platform:intruder', 'kubernetes.io/serviceaccount/namespace': 'platform', 'kubernetes.io/serviceaccount/service-account.name': 'intruder' })}.c2lnbmF0dXJl`;
      await writeFile(join(dir, 'intruder'), intruder, { mode: 0o600 });
      await expect(openStore({ ...options, auth: { ...options.auth, jwtFile: join(dir, 'intruder') } }).ping()).rejects.toMatchObject({
        code: 'STORE_ACCESS_DENIED',
        message: expect.stringMatching(/kubernetes login/),
      });
    } finally {
      kubernetes.close();
    }
  });
});
