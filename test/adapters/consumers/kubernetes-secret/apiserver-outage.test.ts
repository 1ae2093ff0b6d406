import { readFile, writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DaemonProcess, expectNoSecretsInOutput, runCli } from '../../../helpers/daemon.js';
import { writeSaasConfig } from '../../../helpers/saas.js';
import { readPolicy, secretsOf } from '../../../helpers/store.js';
import { tempDir } from '../../../helpers/workspace.js';
import { startKube } from '../../../servers/kube.js';
import { ClusterAdmin } from './cluster-admin.js';

const NS = 'outage';

/** An API server of this file's own (the shared one serves every other test file): it is stopped while rotad writes to it. */
let cluster: Awaited<ReturnType<typeof startKube>>;
let admin: ClusterAdmin;
const secrets: string[] = [];

async function config(dir: string, retry: string): Promise<string> {
  const path = await writeSaasConfig(
    dir,
    `  - name: outage-token
    provider: { type: random, length: 40 }
    schedule: { every: 30d }
    consumers:
      - { type: kubernetes-secret, namespace: ${NS}, name: app-credentials, key: token, kubeconfig: ${cluster.kube.adminKubeconfig}, timeout: 2s }`,
  );
  const text = await readFile(path, 'utf8');
  await writeFile(path, text.replace(/retry: \{[^}]*\}/, `retry: ${retry}`));
  return path;
}

describe('kubernetes-secret while the API server is down', () => {
  beforeAll(async () => {
    cluster = await startKube({ controllers: false });
    admin = new ClusterAdmin(cluster.kube);
    await admin.namespace(NS);
  }, 120_000);
  afterAll(() => cluster?.stop());

  it('stopped mid-rotation: the update is retried and the rotation finishes once it is back; down past the retries: stops before revoke, then resumes', async () => {
    const dir = await tempDir();
    const configPath = await config(dir, '{ attempts: 12, initialDelay: 500ms, maxDelay: 2s }');
    const daemon = DaemonProcess.start(configPath);
    try {
      await daemon.waitForMessage('Rotation completed', () => true, 30_000);
      const first = await readPolicy(dir, 'outage-token');
      secrets.push(...secretsOf(first));

      // Down while the next rotation reaches its consumers: retried, and finished once it answers again.
      await cluster.apiserver.stop();
      expect((await runCli(['rotate', 'outage-token', '--config', configPath])).code).toBe(0);
      const retried = await daemon.waitForMessage('Step failed, retrying', (e) => e.phase === 'consumers', 30_000);
      expect(JSON.stringify(retried.error)).toMatch(/the Kubernetes API server did not answer to patch secrets\/app-credentials in namespace outage/);
      const downSince = Date.now();
      await cluster.apiserver.start();
      const done = await daemon.waitForMessage('Rotation completed', () => true, 60_000, 1);
      const second = await readPolicy(dir, 'outage-token');
      secrets.push(...secretsOf(second));
      expect(done.rotation).toBe(second.current?.rotationId);
      expect(second.current?.rotationId).not.toBe(first.current?.rotationId);
      expect(await admin.secretValue(NS, 'app-credentials', 'token')).toBe(second.current!.value.reveal());
      console.log(
        `API server outage: retried ${daemon.entries.filter((e) => e.msg === 'Step failed, retrying').length} times; back and finished after ${Date.now() - downSince} ms`,
      );
    } finally {
      expect((await daemon.stop()).code).toBe(0);
    }

    // Down longer than the retries: the rotation stops in consumers (before revoke), and a rotate after it is back finishes it.
    const shortRetries = await config(dir, '{ attempts: 2, initialDelay: 100ms, maxDelay: 200ms }');
    const again = DaemonProcess.start(shortRetries);
    try {
      await cluster.apiserver.stop();
      expect((await runCli(['rotate', 'outage-token', '--config', shortRetries])).code).toBe(0);
      const stalled = await again.waitForMessage('Rotation needs attention', () => true, 30_000);
      expect(stalled).toMatchObject({ phase: 'consumers', code: 'CONSUMER_FAILED' });
      const held = await readPolicy(dir, 'outage-token');
      secrets.push(...secretsOf(held));
      expect(held.previous?.revokedAt).toBeUndefined();
      await cluster.apiserver.start();
      expect((await runCli(['rotate', 'outage-token', '--config', shortRetries])).code).toBe(0);
      await again.waitForMessage('Rotation completed', () => true, 30_000);
      const resumed = await readPolicy(dir, 'outage-token');
      expect(resumed.current?.rotationId).toBe(held.current?.rotationId);
      expect(await admin.secretValue(NS, 'app-credentials', 'token')).toBe(resumed.current!.value.reveal());
    } finally {
      expect((await again.stop()).code).toBe(0);
    }
    expectNoSecretsInOutput(secrets);
  }, 240_000);
});
