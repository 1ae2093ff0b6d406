import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { describe, expect, inject, it } from 'vitest';
import { systemClock } from '../../src/clock.js';
import { randomProvider } from '../../src/providers/random/index.js';
import { runRotation } from '../../src/rotation/engine.js';
import { FakeClock, policyRuntime } from '../helpers/engine-doubles.js';
import { openStore } from '../helpers/store-kinds.js';
import { tempDir } from '../helpers/workspace.js';
import { documentedVaultPolicy, vaultRoot } from '../helpers/vault-admin.js';

const { vault, kube } = inject('servers');

/** A token the test API server issues for a service account (TokenRequest), as the kubelet mounts one into a pod. */
async function serviceAccountToken(namespace: string, name: string): Promise<string> {
  const config = new KubeConfig();
  config.loadFromFile(kube.adminKubeconfig);
  const core = config.makeApiClient(CoreV1Api);
  await core.createNamespace({ body: { metadata: { name: namespace } } }).catch(() => undefined);
  await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name, namespace } } });
  const request = await core.createNamespacedServiceAccountToken({ namespace, name, body: { spec: { audiences: [], expirationSeconds: 3600 } } });
  const token = request.status?.token;
  if (!token) throw new Error(`no token issued for ${namespace}/${name}`);
  return token;
}

describe('vault store with Kubernetes auth, against a real kube-apiserver', () => {
  it("logs in with a service-account token the API server issued (OpenBao checks it with the API server's TokenReview) and rotates", async () => {
    const mount = `k8s-${Date.now()}`;
    await vaultRoot('POST', `sys/auth/${mount}`, { type: 'kubernetes' });
    // OpenBao asks the API server to review each login's token, as the chart's vaultKubernetesAuth sets it up in a cluster.
    await vaultRoot('POST', `auth/${mount}/config`, {
      kubernetes_host: kube.server,
      kubernetes_ca_cert: await readFile(kube.caFile, 'utf8'),
      token_reviewer_jwt: kube.adminToken,
      disable_local_ca_jwt: true,
    });
    // The minimal policy of the Vault store's page, as a platform team would attach it to the role.
    await vaultRoot('PUT', 'sys/policies/acl/rotad-k8s', { policy: await documentedVaultPolicy() });
    await vaultRoot('POST', `auth/${mount}/role/rotad`, {
      bound_service_account_names: ['rotad'],
      bound_service_account_namespaces: ['rotad-system'],
      token_policies: ['rotad-k8s'],
      token_ttl: '10m',
    });
    const dir = await tempDir();
    const jwtFile = join(dir, 'token');
    await writeFile(jwtFile, await serviceAccountToken('rotad-system', 'rotad'), { mode: 0o600 });
    const store = openStore({ type: 'vault', address: vault.address, auth: { method: 'kubernetes', mount, role: 'rotad', jwtFile } });
    const random = randomProvider.create({ type: 'random', length: 24, alphabet: 'alphanumeric', encoding: 'raw' });
    const name = `k8s-auth-${Date.now()}`;
    const runtime = { ...policyRuntime({ store, provider: random, clock: new FakeClock() }), name, ref: { name }, clock: systemClock };
    expect(await runRotation(runtime, 'cli', new AbortController().signal)).toMatchObject({ status: 'completed' });
    expect((await store.read({ name })).current?.value.reveal()).toMatch(/^[A-Za-z0-9]{24}$/);

    // A token of another service account is refused by the role, with the login named.
    await writeFile(jwtFile, await serviceAccountToken('rotad-system', 'someone-else'), { mode: 0o600 });
    const other = openStore({ type: 'vault', address: vault.address, auth: { method: 'kubernetes', mount, role: 'rotad', jwtFile } });
    await expect(other.read({ name })).rejects.toMatchObject({ message: expect.stringContaining(`kubernetes login (auth/${mount}/login)`) });
  });
});
