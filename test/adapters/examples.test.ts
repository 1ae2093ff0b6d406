import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { DaemonProcess, expectNoSecretsInOutput, runCli } from '../helpers/daemon.js';
import { ROOT } from '../helpers/paths.js';
import { tempDir } from '../helpers/workspace.js';
import { SANDBOX_STACKONE_KEY, startSandbox, type Sandbox } from '../sandbox/world.js';
import { loadKits, type ExampleContext } from './kit.js';

/** The examples of config/examples, found through the adapter kits (test/adapters/<kind>/<type>/kit.ts). */
const kits = [...(await loadKits()).values()];
const runs = kits.flatMap((kit) => (kit.examples ?? []).map((example) => ({ kit, example })));

describe('the provider and consumer examples run as they are in the sandbox (npm run sandbox, on free ports)', () => {
  let sandbox: Sandbox;
  const secrets: string[] = [SANDBOX_STACKONE_KEY];
  beforeAll(async () => {
    sandbox = await startSandbox();
  });
  afterAll(async () => {
    await sandbox.stop();
    expectNoSecretsInOutput(secrets);
  });

  const context = (): ExampleContext => ({
    sandbox,
    secrets,
    start: async (file, env) => {
      const full = { ...env, ROTAD_STATE_DIR: await tempDir(), ROTAD_HEALTH_PORT: '0' };
      return { daemon: DaemonProcess.start(file, full), env: full };
    },
    submit: async (file, env, policy, token) => {
      secrets.push(token);
      const result = await runCli(['submit', policy, '--config', file], env, token);
      expect(result.code, result.stderr).toBe(0);
    },
    completed: (daemon, policy) => daemon.waitFor((e) => e.msg === 'Rotation completed' && e.policy === policy, 20_000),
  });

  it("every example that names an adapter calling a SaaS is run by that adapter's kit", async () => {
    const run = new Set(runs.flatMap(({ example }) => example.files));
    const callsSaas = new Set(kits.filter((k) => k.faultCase).map((k) => `${k.kind}/${k.type}`));
    const files = (await readdir(join(ROOT, 'config/examples'))).filter((f) => f.endsWith('.yaml'));
    let named = 0;
    for (const file of files) {
      const config = parse(await readFile(join(ROOT, 'config/examples', file), 'utf8')) as {
        policies?: Array<{ provider?: { type?: string }; consumers?: Array<{ type?: string }> }>;
      };
      const adapters = (config.policies ?? []).flatMap((p) => [`providers/${p.provider?.type}`, ...(p.consumers ?? []).map((c) => `consumers/${c.type}`)]);
      if (!adapters.some((adapter) => callsSaas.has(adapter))) continue;
      named += 1;
      expect(run.has(`config/examples/${file}`), `config/examples/${file} names ${adapters.join(', ')}`).toBe(true);
    }
    expect(named).toBeGreaterThanOrEqual(6);
  });

  for (const { kit, example } of runs) {
    it(`${kit.kind}/${kit.type}: ${example.files.join(', ')}`, () => example.run(context()));
  }
});
