import { join } from 'node:path';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { fingerprintAnnotation, rotationAnnotation } from '../../../../src/consumers/kubernetes-cluster.js';
import { DaemonProcess, expectNoSecretsInOutput, runCli } from '../../../helpers/daemon.js';
import { writeSaasConfig } from '../../../helpers/saas.js';
import { readPolicy, secretsOf } from '../../../helpers/store.js';
import { tempDir } from '../../../helpers/workspace.js';
import { writeKubeconfig } from '../../../servers/kube.js';
import { ClusterAdmin, daemonFingerprint } from './cluster-admin.js';

const kube = inject('servers').kube;
const admin = new ClusterAdmin(kube);
const secrets: string[] = [];

/** A policy of the random provider whose consumer is a Secret, as `user` (a kubeconfig of that user's token). */
async function setup(namespace: string, user: string): Promise<{ dir: string; config: string }> {
  const dir = await tempDir();
  const kubeconfig = await writeKubeconfig(join(dir, 'kubeconfig'), kube.server, kube.caFile, kube.users[user]!);
  const config = await writeSaasConfig(
    dir,
    `  - name: payments-token
    provider: { type: random, length: 40 }
    schedule: { every: 30d }
    consumers:
      - type: kubernetes-secret
        namespace: ${namespace}
        name: gladly-api
        key: token
        labels: { app.kubernetes.io/managed-by: rotad }
        annotations: { team: payments }
        kubeconfig: ${kubeconfig}
        timeout: 5s`,
  );
  return { dir, config };
}

describe('kubernetes-secret on a real kube-apiserver', () => {
  beforeAll(async () => {
    for (const namespace of ['secret-payments', 'secret-locked']) await admin.namespace(namespace);
    // Another tool owns a key of the Secret already: rotad's apply must leave it alone.
    await admin.secretOwnedBy('other-tool', 'secret-payments', 'gladly-api', { 'ca.crt': 'not-rotad-s' });
    await admin.grant('rotad-user', 'secret-payments', ['get', 'patch', 'create'], ['gladly-api']);
  });

  it('writes the credential and its fields by server-side apply, leaves other keys alone, annotates, reads back and records an event; rollback restores', async () => {
    const { dir, config } = await setup('secret-payments', 'rotad-user');
    const daemon = DaemonProcess.start(config);
    try {
      await daemon.waitForMessage('Rotation completed');
      const first = await readPolicy(dir, 'payments-token');
      secrets.push(...secretsOf(first));
      const value = first.current!.value.reveal();
      const secret = await admin.secret('secret-payments', 'gladly-api');
      expect(await admin.secretValue('secret-payments', 'gladly-api', 'token')).toBe(value);
      expect(await admin.secretValue('secret-payments', 'gladly-api', 'ca.crt')).toBe('not-rotad-s');
      expect(secret.metadata?.annotations).toMatchObject({
        team: 'payments',
        [rotationAnnotation('payments-token')]: first.current!.rotationId,
        [fingerprintAnnotation('payments-token')]: await daemonFingerprint(dir, value),
      });
      expect(secret.metadata?.labels).toMatchObject({ 'app.kubernetes.io/managed-by': 'rotad' });
      // Each key is owned by the manager that set it.
      const managers = (secret.metadata?.managedFields ?? []).map((f) => ({ manager: f.manager, fields: JSON.stringify(f.fieldsV1) }));
      expect(managers.find((m) => m.manager === 'rotad/payments-token')?.fields).toContain('f:token');
      expect(managers.find((m) => m.manager === 'rotad/payments-token')?.fields).not.toContain('f:ca.crt');
      expect(managers.find((m) => m.manager === 'other-tool')?.fields).toContain('f:ca.crt');
      expect(await admin.events('secret-payments', 'gladly-api')).toContainEqual(
        expect.objectContaining({ type: 'Normal', reason: 'CredentialRotated', message: expect.stringContaining(first.current!.rotationId) }),
      );

      // A second rotation, then a rollback: the Secret follows the store each time.
      expect((await runCli(['rotate', 'payments-token', '--config', config])).code).toBe(0);
      await daemon.waitForMessage('Rotation completed', () => true, 20_000, 1);
      const second = await readPolicy(dir, 'payments-token');
      secrets.push(...secretsOf(second));
      expect(await admin.secretValue('secret-payments', 'gladly-api', 'token')).toBe(second.current!.value.reveal());
      const rollback = await runCli(['rollback', 'payments-token', '--config', config]);
      expect(rollback.code, rollback.stderr).toBe(0);
      expect(await admin.secretValue('secret-payments', 'gladly-api', 'token')).toBe(value);
      // The command names it with the daemon's key, as the daemon would.
      expect((await admin.secret('secret-payments', 'gladly-api')).metadata?.annotations).toMatchObject({
        [rotationAnnotation('payments-token')]: first.current!.rotationId,
        [fingerprintAnnotation('payments-token')]: await daemonFingerprint(dir, value),
      });
    } finally {
      expect((await daemon.stop()).code).toBe(0);
    }
    expectNoSecretsInOutput(secrets);
  });

  it('without RBAC: the rotation stops before revoke with a message naming verb, resource and namespace; rotad check says which verbs are missing', async () => {
    const { dir, config } = await setup('secret-locked', 'rotad-denied');
    const check = await runCli(['check', '--config', config]);
    expect(check.code).not.toBe(0);
    expect(check.stdout + check.stderr).toMatch(/RBAC does not let rotad get.*patch.* secrets\/gladly-api in namespace secret-locked/);
    const daemon = DaemonProcess.start(config);
    try {
      const stopped = await daemon.waitForMessage('Rotation needs attention', () => true, 20_000);
      expect(stopped).toMatchObject({ phase: 'consumers', code: 'CONSUMER_FAILED' });
      expect(String(stopped.reason)).toMatch(/RBAC does not let rotad (get|patch) secrets\/gladly-api in namespace secret-locked \(403\)/);
      secrets.push(...secretsOf(await readPolicy(dir, 'payments-token')));
    } finally {
      expect((await daemon.stop()).code).toBe(0);
    }
    expectNoSecretsInOutput(secrets);
  });
});
