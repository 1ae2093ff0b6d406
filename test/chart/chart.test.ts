import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments, parse } from 'yaml';
import { runCli } from '../helpers/daemon.js';
import { ROOT } from '../helpers/paths.js';
import { tempDir } from '../helpers/workspace.js';
import { chartValuesSchema } from './values-schema.js';

const run = promisify(execFile);
const CHART = join(ROOT, 'deploy/helm/rotad');
const HELM = join(ROOT, '.venv/bin/helm');
const VALIDATE = join(ROOT, '.venv/bin/kubernetes-validate');
/** The Kubernetes versions the chart supports (Chart.yaml kubeVersion: >=1.30). */
const KUBE_VERSIONS = ['1.30.0', '1.31.0', '1.32.0', '1.33.0', '1.34.0', '1.35.0', '1.36.0', '1.37.0'];
/** Kinds of the Prometheus operator: no schema ships with kubernetes-validate; their content is checked below. */
const CRD_KINDS = ['ServiceMonitor', 'PrometheusRule'];

type Manifest = {
  kind: string;
  metadata: { name: string };
  spec?: Record<string, unknown>;
  data?: Record<string, string>;
  automountServiceAccountToken?: boolean;
};

/** The example values a platform team starts from (deploy/helm/examples), each linted and rendered as shipped. */
const EXAMPLES = join(ROOT, 'deploy/helm/examples');
const VALUE_SETS: Record<string, Record<string, unknown>> = Object.fromEntries(
  readdirSync(EXAMPLES)
    .filter((file) => file.endsWith('.yaml'))
    .sort()
    .map((file) => [file, parse(readFileSync(join(EXAMPLES, file), 'utf8')) as Record<string, unknown>]),
);

async function template(values: Record<string, unknown>, extra: string[] = []): Promise<{ manifests: Manifest[]; text: string }> {
  const dir = await tempDir('rotad-chart-');
  const file = join(dir, 'values.yaml');
  await writeFile(file, JSON.stringify(values));
  // No --kube-version: the chart renders as a user's helm renders it (see test/servers/install.sh).
  const { stdout } = await run(HELM, ['template', 'rotad', CHART, '-f', file, ...extra]);
  return {
    manifests: parseAllDocuments(stdout)
      .map((d) => d.toJS() as Manifest)
      .filter(Boolean),
    text: stdout,
  };
}

async function templateError(values: Record<string, unknown>): Promise<string> {
  return template(values).then(
    () => 'rendered',
    (error: { stderr?: string }) => error.stderr ?? String(error),
  );
}

describe('the Helm chart (deploy/helm/rotad)', () => {
  it('keeps one source of truth: its alert rules and Grafana dashboard are those of config/, its values schema the generated one', async () => {
    const rules = await readFile(join(ROOT, 'config/prometheus/rotad-alerts.yaml'), 'utf8');
    const dashboard = await readFile(join(ROOT, 'config/grafana/rotad-dashboard.json'), 'utf8');
    const schema = `${JSON.stringify(chartValuesSchema(), null, 2)}\n`;
    if (process.env.UPDATE_CHART === '1') {
      await writeFile(join(CHART, 'files/rotad-alerts.yaml'), rules);
      await writeFile(join(CHART, 'files/rotad-dashboard.json'), dashboard);
      await writeFile(join(CHART, 'values.schema.json'), schema);
    }
    expect(await readFile(join(CHART, 'files/rotad-alerts.yaml'), 'utf8'), 'run the chart test with UPDATE_CHART=1').toBe(rules);
    expect(await readFile(join(CHART, 'files/rotad-dashboard.json'), 'utf8'), 'run the chart test with UPDATE_CHART=1').toBe(dashboard);
    expect(await readFile(join(CHART, 'values.schema.json'), 'utf8'), 'run the chart test with UPDATE_CHART=1').toBe(schema);
  });

  it("names one version: package.json, the chart's appVersion and the image label default agree", async () => {
    const { version } = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect((parse(await readFile(join(CHART, 'Chart.yaml'), 'utf8')) as { appVersion: string }).appVersion).toBe(version);
    expect(await readFile(join(ROOT, 'Dockerfile'), 'utf8')).toContain(`ARG VERSION=${version}\n`);
  });

  it('passes helm lint with every value set', async () => {
    for (const [name, values] of Object.entries(VALUE_SETS)) {
      const dir = await tempDir('rotad-chart-');
      await writeFile(join(dir, 'values.yaml'), JSON.stringify(values));
      const { stdout } = await run(HELM, ['lint', '--strict', CHART, '-f', join(dir, 'values.yaml')]);
      expect(stdout, name).toMatch(/1 chart\(s\) linted, 0 chart\(s\) failed/);
    }
  });

  it('renders objects that validate strictly against the schemas of every supported Kubernetes version', async () => {
    for (const [name, values] of Object.entries(VALUE_SETS)) {
      const { manifests, text } = await template(values);
      const dir = await tempDir('rotad-chart-');
      await writeFile(join(dir, 'rendered.yaml'), text);
      for (const version of KUBE_VERSIONS) {
        const { stdout, stderr } = await run(VALIDATE, ['--strict', '-k', version, join(dir, 'rendered.yaml')]);
        const checked = manifests.filter((m) => !CRD_KINDS.includes(m.kind));
        expect(stdout.match(/passed for resource/g)?.length, `${name} on ${version}:\n${stdout}${stderr}`).toBe(checked.length);
        expect(`${stdout}${stderr}`, `${name} on ${version}`).not.toMatch(/ERROR|failed/);
        for (const warning of `${stdout}${stderr}`.split('\n').filter((line) => line.startsWith('WARN'))) {
          expect(warning, `only the Prometheus operator's kinds lack a schema (${name}, ${version})`).toMatch(
            /Couldn't find schema for kind (ServiceMonitor|PrometheusRule) /,
          );
        }
      }
    }
  }, 120_000);

  it('is hardened by default: non-root, read-only root, no capabilities, RuntimeDefault seccomp, no token unless Kubernetes auth', async () => {
    const { manifests } = await template({});
    const deployment = manifests.find((m) => m.kind === 'Deployment')!;
    const pod = (deployment.spec!.template as { spec: Record<string, any> }).spec;
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000, seccompProfile: { type: 'RuntimeDefault' } });
    expect(pod.containers[0].securityContext).toEqual({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(manifests.find((m) => m.kind === 'ServiceAccount')?.automountServiceAccountToken).toBe(false);
    expect(pod.terminationGracePeriodSeconds).toBe(45);
    expect(pod.containers[0].livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http-metrics' });
    expect(pod.containers[0].readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http-metrics' });
    // The file store: a persistent volume and one pod at a time; the config as a directory mount, so updates arrive.
    expect(manifests.map((m) => m.kind)).toContain('PersistentVolumeClaim');
    expect(deployment.spec!.strategy).toEqual({ type: 'Recreate' });
    expect(pod.containers[0].volumeMounts).toContainEqual({ name: 'config', mountPath: '/etc/rotad/config', readOnly: true });
    const withAuth = await template({ vaultKubernetesAuth: true });
    expect(
      (withAuth.manifests.find((m) => m.kind === 'Deployment')!.spec!.template as { spec: Record<string, unknown> }).spec.automountServiceAccountToken,
    ).toBe(true);
    // No PersistentVolumeClaim for the network stores, without being told.
    const replicas = await template(VALUE_SETS['vault-kubernetes.yaml']!);
    expect(replicas.manifests.map((m) => m.kind)).not.toContain('PersistentVolumeClaim');
    expect(replicas.manifests.find((m) => m.kind === 'Deployment')!.spec).toMatchObject({ replicas: 3, strategy: { type: 'RollingUpdate' } });
  });

  it('exposes only the hand-over page through the Ingress, and the API port through the Service', async () => {
    const { manifests } = await template(VALUE_SETS['handover-page.yaml']!);
    const ingress = manifests.find((m) => m.kind === 'Ingress')!;
    expect(ingress.spec).toMatchObject({ ingressClassName: 'nginx', tls: [{ hosts: ['rotad.example.com'], secretName: 'rotad-example-com-tls' }] });
    const rules = ingress.spec!.rules as Array<{ host: string; http: { paths: Array<{ path: string; backend: unknown }> } }>;
    expect(rules).toEqual([
      {
        host: 'rotad.example.com',
        http: { paths: [{ path: '/handover/', pathType: 'Prefix', backend: { service: { name: 'rotad', port: { name: 'api' } } } }] },
      },
    ]);
    expect(manifests.find((m) => m.kind === 'Service')!.spec!.ports as unknown[]).toContainEqual({
      name: 'api',
      port: 9760,
      targetPort: 'api',
      protocol: 'TCP',
    });
    const pod = (manifests.find((m) => m.kind === 'Deployment')!.spec!.template as { spec: Record<string, any> }).spec;
    expect(pod.containers[0].ports).toContainEqual({ name: 'api', containerPort: 9760, protocol: 'TCP' });
    expect(pod.containers[0].volumeMounts).toContainEqual({ name: 'api-tokens', mountPath: '/etc/rotad/api-tokens', readOnly: true });
    expect(pod.volumes).toContainEqual({ name: 'api-tls', secret: { secretName: 'rotad-api-tls', defaultMode: 0o400 } });
    // Without api.enabled there is no API port, mount or Ingress.
    const plain = await template({});
    expect(plain.manifests.map((m) => m.kind)).not.toContain('Ingress');
    expect(plain.text).not.toContain('9760');
  });

  it('renders a config that rotad itself accepts, and the alert rules of config/prometheus as the PrometheusRule', async () => {
    for (const values of [{}, VALUE_SETS['vault-kubernetes.yaml']!, VALUE_SETS['handover-page.yaml']!]) {
      const { manifests } = await template(values);
      const dir = await tempDir('rotad-chart-');
      await writeFile(join(dir, 'rotad.yaml'), manifests.find((m) => m.kind === 'ConfigMap')!.data!['rotad.yaml']!);
      const result = await runCli(['validate', '--config', join(dir, 'rotad.yaml')]);
      expect(result.code, result.stderr).toBe(0);
    }
    const { manifests } = await template(VALUE_SETS['vault-kubernetes.yaml']!);
    const rule = manifests.find((m) => m.kind === 'PrometheusRule')!;
    expect(rule.spec).toEqual(parse(await readFile(join(ROOT, 'config/prometheus/rotad-alerts.yaml'), 'utf8')));
    // The Grafana dashboard, off by default, as a ConfigMap with the sidecar's label.
    expect(manifests.some((m) => m.metadata.name.endsWith('-grafana-dashboard'))).toBe(false);
    const withDashboard = await template({
      ...VALUE_SETS['vault-kubernetes.yaml']!,
      grafanaDashboard: { enabled: true, annotations: { grafana_folder: 'Platform' } },
    });
    const board = withDashboard.manifests.find((m) => m.metadata.name.endsWith('-grafana-dashboard')) as Manifest & {
      metadata: { labels: Record<string, string>; annotations: Record<string, string> };
    };
    expect(board.metadata.labels.grafana_dashboard).toBe('1');
    expect(board.metadata.annotations).toEqual({ grafana_folder: 'Platform' });
    expect(JSON.parse(board.data!['rotad.json']!)).toEqual(JSON.parse(await readFile(join(ROOT, 'config/grafana/rotad-dashboard.json'), 'utf8')));
    expect(manifests.find((m) => m.kind === 'ServiceMonitor')!.spec).toMatchObject({
      jobLabel: 'app.kubernetes.io/name',
      endpoints: [{ port: 'http-metrics', path: '/metrics' }],
    });
  });

  it('refuses value sets that would run but not work, saying what to change', async () => {
    expect(await templateError({ replicaCount: 2 })).toMatch(/replicaCount > 1 with a file store: the file store serves one daemon/);
    expect(await templateError({ terminationGracePeriodSeconds: 30 })).toMatch(
      /terminationGracePeriodSeconds \(30\) must be longer than config\.daemon\.shutdownTimeout \(30s\)/,
    );
    expect(await templateError({ healthPort: 9000 })).toMatch(/config\.daemon\.health\.port \(9750\) must equal healthPort \(9000\)/);
    // The values schema embeds rotad's config schema: an unknown key fails before any pod starts.
    expect(
      await templateError({
        config: { ...(VALUE_SETS['vault-kubernetes.yaml']!.config as object), colour: 'red' },
      }),
    ).toMatch(/colour/);
    expect(await templateError({ replicas: 2 })).toMatch(/replicas/);
    // The API: the chart's port and the config's listener must agree, and the links must lead to the Ingress.
    const page = VALUE_SETS['handover-page.yaml']!;
    const config = page.config as { daemon: { api: Record<string, unknown> } };
    const withApi = (api: Record<string, unknown>, values: Record<string, unknown> = {}) => ({
      ...page,
      ...values,
      config: { ...config, daemon: { ...config.daemon, api: { ...config.daemon.api, ...api } } },
    });
    expect(await templateError({ api: { enabled: true } })).toMatch(/api\.enabled needs config\.daemon\.api/);
    expect(await templateError({ ...page, api: { enabled: false } })).toMatch(/config\.daemon\.api is set but api\.enabled is false/);
    expect(await templateError(withApi({ port: 9999 }))).toMatch(/config\.daemon\.api\.port \(9999\) must equal api\.port \(9760\)/);
    expect(await templateError(withApi({ host: '127.0.0.1' }))).toMatch(/config\.daemon\.api\.host is 127\.0\.0\.1: set it to 0\.0\.0\.0/);
    expect(await templateError(withApi({ publicUrl: 'https://elsewhere.example.com' }))).toMatch(
      /publicUrl \(https:\/\/elsewhere\.example\.com\) must be https:\/\/rotad\.example\.com/,
    );
  });
});
