import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configJsonSchema } from '../../src/cli/schema.js';
import { loadConfig } from '../../src/config/load.js';
import { consumerRegistry } from '../../src/consumers/registry.js';
import { ERROR_CODES } from '../../src/errors.js';
import { notifierRegistry } from '../../src/notifiers/registry.js';
import { providerRegistry } from '../../src/providers/registry.js';
import { storeRegistry } from '../../src/stores/registry.js';
import { ROOT } from '../helpers/paths.js';

async function adapterFolders(kind: string): Promise<string[]> {
  const entries = await readdir(join(ROOT, 'src', kind), { withFileTypes: true });
  return entries
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
}

describe('catalogues stay in step with the code', () => {
  it.each([
    ['providers', providerRegistry],
    ['stores', storeRegistry],
    ['consumers', consumerRegistry],
    ['notifiers', notifierRegistry],
  ] as const)('the %s registry lists exactly its folders, each with a matching type and a readme', async (kind, registry) => {
    expect(Object.keys(registry).sort()).toEqual(await adapterFolders(kind));
    for (const [type, definition] of Object.entries(registry)) {
      expect(definition.type).toBe(type);
      await expect(readFile(join(ROOT, 'src', kind, type, 'readme.md'), 'utf8')).resolves.toMatch(/^# /);
    }
  });

  it('every error code is documented in docs/errors.md, and nothing else is', async () => {
    const doc = await readFile(join(ROOT, 'docs/errors.md'), 'utf8');
    const documented = [...doc.matchAll(/^\| `([A-Z_]+)` \|/gm)].map((m) => m[1]);
    expect(documented.sort()).toEqual([...ERROR_CODES].sort());
  });

  it('every event type is documented in docs/alerts.md and on the log notifier page', async () => {
    const { EVENT_TYPES } = await import('../../src/notifiers/types.js');
    for (const page of ['docs/alerts.md', 'src/notifiers/log/readme.md']) {
      const text = await readFile(join(ROOT, page), 'utf8');
      for (const type of EVENT_TYPES) expect(text, `${page} names ${type}`).toContain(`\`${type}\``);
    }
  });

  it('config/rotad.schema.json is the schema the loader uses (regenerate with `rotad schema`)', async () => {
    const committed = JSON.parse(await readFile(join(ROOT, 'config/rotad.schema.json'), 'utf8'));
    expect(committed).toEqual(configJsonSchema());
  });

  it('every shipped config validates', async () => {
    const examples = (await readdir(join(ROOT, 'config/examples')).catch(() => [])).map((f) => join('config/examples', f));
    for (const file of ['config/rotad.example.yaml', ...examples.filter((f) => f.endsWith('.yaml'))]) {
      const config = await loadConfig(join(ROOT, file), {
        VAULT_ADDR: 'https://vault.example.com:8200',
        ROTAD_WEBHOOK_URL: 'https://hooks.example.com/rotad',
        SMTP_HOST: 'smtp.example.com',
        // The secrets the examples name by *Env keys must be set, as they would be in a deployment.
        VAULT_TOKEN: 'x',
        STACKONE_API_KEY: 'x',
        ROTAD_OPS_TOKEN: 'x'.repeat(32),
        SLACK_WEBHOOK_URL: 'x',
        ROTAD_WEBHOOK_SECRET: 'x',
        ROTAD_SMTP_PASSWORD: 'x',
      });
      expect(config.policies.length, file).toBeGreaterThan(0);
    }
  });
});
