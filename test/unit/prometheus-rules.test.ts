import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { Metrics, METRIC_NAMES } from '../../src/observability/metrics.js';
import { ROOT } from '../helpers/paths.js';

interface Rule {
  alert: string;
  expr: string;
  for?: string;
  labels: { severity: string };
  annotations: { summary: string; description: string };
}

describe('config/prometheus/rotad-alerts.yaml', () => {
  it('parses, and every rule has an expression, a severity and a summary', async () => {
    const file = parse(await readFile(join(ROOT, 'config/prometheus/rotad-alerts.yaml'), 'utf8')) as { groups: Array<{ name: string; rules: Rule[] }> };
    const rules = file.groups.flatMap((g) => g.rules);
    expect(rules.map((r) => r.alert)).toEqual([
      'RotadCredentialExpiresSoon',
      'RotadCredentialExpired',
      'RotadRotationNeedsAttention',
      'RotadRotationFailed',
      'RotadPolicyNotReady',
      'RotadDown',
      'RotadConfigReloadFailed',
      'RotadReplicasRunDifferentConfigs',
    ]);
    for (const rule of rules) {
      expect(rule.expr.trim().length).toBeGreaterThan(0);
      expect(['warning', 'critical']).toContain(rule.labels.severity);
      expect(rule.annotations.summary.length).toBeGreaterThan(0);
      if (rule.for) expect(rule.for).toMatch(/^\d+[smh]$/);
      // Balanced parentheses and braces: a cheap guard against a broken PromQL edit.
      for (const [open, close] of [
        ['(', ')'],
        ['{', '}'],
        ['[', ']'],
      ] as const)
        expect(rule.expr.split(open).length).toBe(rule.expr.split(close).length);
    }
  });

  it('refers only to metrics rotad exports, with label values that exist', async () => {
    const text = await readFile(join(ROOT, 'config/prometheus/rotad-alerts.yaml'), 'utf8');
    const used = new Set([...text.matchAll(/\brotad_[a-z_]+/g)].map((m) => m[0]));
    const exported = new Set((await new Metrics().registry.getMetricsAsJSON()).map((m) => m.name));
    expect([...exported].sort()).toEqual([...METRIC_NAMES].sort());
    for (const name of used) expect(exported.has(name.replace(/_(bucket|sum|count)$/, '')), `${name} is not exported`).toBe(true);
    // Outcome values named in the rules are ones the scheduler reports.
    for (const outcome of ['needs-attention', 'error']) expect(text).toContain(outcome);
  });
});
