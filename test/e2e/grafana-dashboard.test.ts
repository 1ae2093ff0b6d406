import { readFile, writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DaemonProcess } from '../helpers/daemon.js';
import { ROOT } from '../helpers/paths.js';
import { writeSaasConfig } from '../helpers/saas.js';
import { tempDir } from '../helpers/workspace.js';

interface Panel {
  id: number;
  title: string;
  datasource?: { uid: string };
  targets: Array<{ expr: string; legendFormat?: string; datasource?: { uid: string } }>;
}
interface Dashboard {
  uid: string;
  panels: Panel[];
  templating: { list: Array<{ name: string; type: string; query?: string | { query: string } }> };
}

/** Each series name of a Prometheus text scrape, with the label names its samples carry. */
function seriesOf(scrape: string): Map<string, Set<string>> {
  const series = new Map<string, Set<string>>();
  for (const line of scrape.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{([^}]*)\})? /.exec(line);
    if (!match) continue;
    const labels = series.get(match[1]!) ?? new Set<string>();
    for (const [, name] of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="/g)) labels.add(name!);
    series.set(match[1]!, labels);
  }
  return series;
}

/**
 * What is wrong with one PromQL expression against a scrape: a metric rotad does not export, a
 * label matcher, `by` label or legend label that none of its metrics carries.
 */
function problemsOf(expr: string, legend: string | undefined, series: Map<string, Set<string>>): string[] {
  const problems: string[] = [];
  const used = [...expr.matchAll(/\b(rotad_[a-z_]+)(?:\{([^}]*)\})?/g)];
  const labelsOfExpr = new Set<string>(['le']);
  for (const [, metric, matchers] of used) {
    const labels = series.get(metric!);
    if (!labels) {
      problems.push(`${metric} is not exported`);
      continue;
    }
    for (const label of labels) labelsOfExpr.add(label);
    for (const [, label] of (matchers ?? '').matchAll(/([a-zA-Z_]+)\s*(?:=~|!~|!=|=)/g))
      if (!labels.has(label!)) problems.push(`${metric} has no label ${label}`);
  }
  for (const [, list] of expr.matchAll(/\bby \(([^)]*)\)/g))
    for (const label of list!.split(',').map((l) => l.trim())) if (!labelsOfExpr.has(label)) problems.push(`by (${label}): no metric of it has that label`);
  for (const [, label] of (legend ?? '').matchAll(/\{\{(\w+)\}\}/g)) if (!labelsOfExpr.has(label!)) problems.push(`legend {{${label}}}: no such label`);
  return problems;
}

describe('the Grafana dashboard (config/grafana/rotad-dashboard.json) against what a running daemon exports', () => {
  let daemon: DaemonProcess;
  let scrape: string;

  beforeAll(async () => {
    const dir = await tempDir();
    const config = await writeSaasConfig(
      dir,
      `  - name: beat
    provider: { type: random, length: 32 }
    schedule: { every: 30d }
    maxAge: 60d
  - name: manual
    provider: { type: random, length: 32 }
    schedule: manual`,
    );
    await writeFile(config, (await readFile(config, 'utf8')).replace('health: { enabled: false }', 'health: { host: 127.0.0.1, port: 0 }'));
    daemon = DaemonProcess.start(config);
    const { port } = await daemon.waitForMessage('Health endpoints listening');
    await daemon.waitFor((e) => e.msg === 'Rotation completed' && e.policy === 'manual');
    await daemon.waitFor((e) => e.msg === 'Rotation completed' && e.policy === 'beat');
    scrape = await (await fetch(`http://127.0.0.1:${String(port)}/metrics`)).text();
  });
  afterAll(async () => {
    expect((await daemon.stop()).code).toBe(0);
  });

  it('queries only metrics and labels rotad exports, from the chosen data source, filtered by policy where the metric has one', async () => {
    const dashboard = JSON.parse(await readFile(`${ROOT}config/grafana/rotad-dashboard.json`, 'utf8')) as Dashboard;
    const series = seriesOf(scrape);
    expect(series.get('rotad_rotations_total')).toEqual(new Set(['policy', 'outcome']));
    const problems: string[] = [];
    expect(new Set(dashboard.panels.map((p) => p.id)).size, 'panel ids are unique').toBe(dashboard.panels.length);
    for (const panel of dashboard.panels) {
      expect(panel.targets.length, panel.title).toBeGreaterThan(0);
      expect(panel.datasource?.uid, panel.title).toBe('${datasource}');
      for (const target of panel.targets) {
        expect(target.datasource?.uid, panel.title).toBe('${datasource}');
        problems.push(...problemsOf(target.expr, target.legendFormat, series).map((p) => `${panel.title}: ${p}`));
        // A panel about policies follows the policy picker.
        const perPolicy = [...target.expr.matchAll(/\b(rotad_[a-z_]+)/g)].some(([, m]) => series.get(m!)?.has('policy'));
        if (perPolicy) expect(target.expr, panel.title).toContain('policy=~"$policy"');
      }
    }
    const picker = dashboard.templating.list.find((v) => v.name === 'policy')!;
    const query = typeof picker.query === 'string' ? picker.query : picker.query!.query;
    const [, metric, label] = /^label_values\((\w+), (\w+)\)$/.exec(query)!;
    expect(series.get(metric!)?.has(label!)).toBe(true);
    expect(problems).toEqual([]);
  });

  it('finds a query the daemon cannot answer (the check can fail)', () => {
    const series = seriesOf(scrape);
    expect(problemsOf('sum by (team) (rotad_rotations_total{store="x"})', '{{nope}}', series)).toEqual([
      'rotad_rotations_total has no label store',
      'by (team): no metric of it has that label',
      'legend {{nope}}: no such label',
    ]);
    expect(problemsOf('rotad_rotation_seconds', undefined, series)).toEqual(['rotad_rotation_seconds is not exported']);
  });
});
