import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CoreV1Api, KubeConfig, KubernetesObjectApi, PatchStrategy, type KubernetesObject } from '@kubernetes/client-node';
import { describe, expect, inject, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { ROOT } from '../helpers/paths.js';

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
