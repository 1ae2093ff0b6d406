import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CoreV1Api, KubeConfig, KubernetesObjectApi, PatchStrategy, type KubernetesObject } from '@kubernetes/client-node';
import { describe, expect, inject, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { systemClock } from '../../src/clock.js';
import { kubernetesSecretConsumer } from '../../src/consumers/kubernetes-secret/index.js';
import { silentLogger } from '../../src/observability/logger.js';
import { Secret } from '../../src/secret.js';
import { KubernetesCluster } from '../../src/vendors/kubernetes.js';
import { ROOT } from '../helpers/paths.js';
import { tempDir } from '../helpers/workspace.js';
import { writeKubeconfig } from '../servers/kube.js';

const run = promisify(execFile);
const CHART = join(ROOT, 'deploy/helm/rotad');
const EXAMPLES = join(ROOT, 'deploy/helm/examples');
/** Kinds of the Prometheus operator: their CRDs are not installed on the test API server (chart.test.ts checks their content). */
const CRD_KINDS = ['ServiceMonitor', 'PrometheusRule'];

describe('the Helm chart on a real kube-apiserver', () => {
  it('every example values file renders objects the API server accepts (server-side apply, dry run: admission, defaulting, validation)', async () => {
    const config = new KubeConfig();
    config.loadFromFile(inject('servers').kube.adminKubeconfig);
    const objects = KubernetesObjectApi.makeApiClient(config);
    const core = config.makeApiClient(CoreV1Api);
    const files = readdirSync(EXAMPLES).filter((file) => file.endsWith('.yaml'));
    expect(files.length).toBeGreaterThanOrEqual(4);
    for (const [index, file] of files.sort().entries()) {
      const namespace = `chart-${index}`;
      await core.createNamespace({ body: { metadata: { name: namespace } } });
      const { stdout } = await run(join(ROOT, '.venv/bin/helm'), ['template', 'rotad', CHART, '--namespace', namespace, '-f', join(EXAMPLES, file)]);
      const rendered = parseAllDocuments(stdout)
        .map((d) => d.toJS() as KubernetesObject | null)
        .filter((m): m is KubernetesObject => m !== null && !CRD_KINDS.includes(m.kind ?? ''));
      expect(rendered.length, file).toBeGreaterThan(3);
      // Objects the chart puts in other namespaces (the Roles of kubernetes-secret consumers) need them to exist.
      for (const other of new Set(rendered.map((m) => m.metadata?.namespace).filter((n): n is string => n !== undefined && n !== namespace)))
        await core.createNamespace({ body: { metadata: { name: other } } }).catch(() => undefined);
      const accepted: string[] = [];
      for (const object of rendered) {
        const spec = { ...object, metadata: { ...object.metadata, namespace: object.metadata?.namespace ?? namespace } };
        await objects.patch(spec, undefined, 'All', 'chart-test', true, PatchStrategy.ServerSideApply).then(
          () => accepted.push(`${object.kind}/${object.metadata?.name}`),
          (error: { code?: number; body?: unknown }) => {
            throw new Error(`${file}: ${object.kind}/${object.metadata?.name} refused (${error.code}): ${JSON.stringify(error.body)}`);
          },
        );
      }
      // Server-side apply merges by the API's own schema: an unknown or misplaced field is refused, not dropped.
      expect(accepted, file).toContain('Deployment/rotad');
      expect(accepted.length, file).toBe(rendered.length);
    }
  }, 120_000);
});

describe("the chart's RBAC for kubernetes-secret consumers, applied for real", () => {
  it("lets the chart's service account write exactly the Secrets the config names, and nothing else", async () => {
    const { kube } = inject('servers');
    const config = new KubeConfig();
    config.loadFromFile(kube.adminKubeconfig);
    const objects = KubernetesObjectApi.makeApiClient(config);
    const core = config.makeApiClient(CoreV1Api);
    const namespace = 'chart-rbac';
    await core.createNamespace({ body: { metadata: { name: namespace } } });
    const { stdout } = await run(join(ROOT, '.venv/bin/helm'), [
      'template',
      'rotad',
      CHART,
      '--namespace',
      namespace,
      '-f',
      join(EXAMPLES, 'kubernetes-secret.yaml'),
    ]);
    const rendered = parseAllDocuments(stdout)
      .map((d) => d.toJS() as KubernetesObject | null)
      .filter((m): m is KubernetesObject => m !== null && ['ServiceAccount', 'Role', 'RoleBinding'].includes(m.kind ?? ''));
    expect(rendered.map((m) => `${m.kind} ${m.metadata?.name} ${m.metadata?.namespace ?? namespace}`).sort()).toEqual([
      'Role rotad-rollouts payments',
      'Role rotad-secrets payments',
      'Role rotad-secrets web',
      'RoleBinding rotad-rollouts payments',
      'RoleBinding rotad-secrets payments',
      'RoleBinding rotad-secrets web',
      'ServiceAccount rotad chart-rbac',
    ]);
    for (const other of ['payments', 'web']) await core.createNamespace({ body: { metadata: { name: other } } }).catch(() => undefined);
    for (const object of rendered)
      await objects.patch(
        { ...object, metadata: { ...object.metadata, namespace: object.metadata?.namespace ?? namespace } },
        undefined,
        undefined,
        'chart-test',
        true,
        PatchStrategy.ServerSideApply,
      );
    // Without rbac.createSecrets the Secrets exist beforehand.
    for (const [ns, name] of [
      ['payments', 'signing-key'],
      ['web', 'signing-key'],
      ['payments', 'not-rotads'],
    ] as const)
      await core.createNamespacedSecret({ namespace: ns, body: { metadata: { name, namespace: ns }, data: {} } });
    const token = (await core.createNamespacedServiceAccountToken({ namespace, name: 'rotad', body: { spec: { audiences: [] } } })).status?.token;
    const dir = await tempDir();
    const kubeconfig = await writeKubeconfig(join(dir, 'kubeconfig'), kube.server, kube.caFile, token!);
    const consumer = (ns: string, name: string) =>
      kubernetesSecretConsumer.create(
        { type: 'kubernetes-secret', namespace: ns, name, key: 'key', secretType: 'Opaque', labels: {}, annotations: {}, kubeconfig, timeout: '5s' },
        { logger: silentLogger(), clock: systemClock, configDir: dir },
      );
    const ctx = { policy: 'payments-signing-key', rotationId: 'r-chart', logger: silentLogger(), clock: systemClock, signal: new AbortController().signal };
    const credential = { value: new Secret('chart-rbac-test-value-0001'), rotationId: 'r-chart', createdAt: Date.now() };
    for (const ns of ['payments', 'web']) {
      await consumer(ns, 'signing-key').update(ctx, credential);
      expect(await consumer(ns, 'signing-key').check!(ctx)).toMatch(/Secret exists; rotad may get, patch it/);
    }
    await expect(consumer('payments', 'not-rotads').update(ctx, credential)).rejects.toMatchObject({
      code: 'CONSUMER_FAILED',
      message: expect.stringMatching(/RBAC does not let rotad (get|patch) secrets\/not-rotads in namespace payments \(403\)/),
    });
    await expect(consumer('payments', 'not-rotads').check!(ctx)).rejects.toThrow(
      /RBAC does not let rotad get.*patch.* secrets\/not-rotads in namespace payments/,
    );
    // The rollout consumer's Deployment, and only it.
    const cluster = await KubernetesCluster.connect({ kubeconfig, timeoutMs: 5000 });
    const deployment = (name: string) => ({ apiVersion: 'apps/v1', kind: 'Deployment', resource: 'deployments', namespace: 'payments', name });
    expect(await cluster.allowed('patch', deployment('checkout'))).toMatchObject({ allowed: true });
    expect(await cluster.allowed('get', deployment('checkout'))).toMatchObject({ allowed: true });
    expect(await cluster.allowed('patch', deployment('billing'))).toMatchObject({ allowed: false });
    expect(await cluster.allowed('patch', { ...deployment('checkout'), namespace: 'web' })).toMatchObject({ allowed: false });
    expect(await cluster.allowed('list', { apiVersion: 'v1', kind: 'Pod', resource: 'pods', namespace: 'payments', name: '' })).toMatchObject({
      allowed: true,
    });
  });
});
