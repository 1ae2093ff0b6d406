import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'vitest';
import { DaemonProcess, expectNoSecretsInOutput } from '../helpers/daemon.js';
import { freePort } from '../helpers/ports.js';
import { eventually } from '../helpers/sinks.js';
import { readPolicy, secretsOf } from '../helpers/store.js';
import { tempDir } from '../helpers/workspace.js';

export const INTAKE_POLICIES = ['payments-key', 'search-key'];

/** A daemon with a leak intake of the control API (`intake`: its YAML under `api:`, made at start), two `random` policies with their first credential made. */
export class IntakeDaemon {
  dir = '';
  base = '';
  daemon: DaemonProcess | undefined;

  constructor(
    private readonly intake: () => string,
    private readonly env: Record<string, string>,
  ) {}

  async start(): Promise<void> {
    this.dir = await tempDir();
    const port = await freePort();
    this.base = `http://127.0.0.1:${port}`;
    const config = join(this.dir, 'rotad.yaml');
    await writeFile(
      config,
      `version: 1
daemon:
  stateDir: ${this.dir}/state
  health: { enabled: false }
  retry: { attempts: 2, initialDelay: 20ms, maxDelay: 100ms }
  shutdownTimeout: 5s
  watchConfig: 0s
  audit: { file: ${this.dir}/audit.jsonl }
  api:
    port: ${port}
    ${this.intake()}
stores:
  local: { type: file, path: ${this.dir}/state/secrets.enc, key: { file: ${this.dir}/state/store.key, generate: true } }
defaults: { grace: 1h }
policies:
${INTAKE_POLICIES.map((name) => `  - { name: ${name}, provider: { type: random, length: 40 }, schedule: { every: 30d } }`).join('\n')}
`,
    );
    this.daemon = DaemonProcess.start(config, this.env);
    await this.daemon.waitForMessage('Control API listening');
    for (const name of INTAKE_POLICIES) await eventually(async () => (await this.policy(name)).state.lastRotatedAt !== undefined);
  }

  policy(name: string): ReturnType<typeof readPolicy> {
    return readPolicy(this.dir, name);
  }

  async history(name: string): Promise<number> {
    return (await this.policy(name)).state.history.length;
  }

  audit(): Promise<string> {
    return readFile(join(this.dir, 'audit.jsonl'), 'utf8');
  }

  /** One delivery to `path`, with its status and JSON answer. */
  async send(path: string, delivery: { headers: Record<string, string>; body: string }): Promise<{ status: number; body: Record<string, unknown> }> {
    const response = await fetch(`${this.base}${path}`, { method: 'POST', headers: delivery.headers, body: delivery.body });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  /** Stops the daemon and checks that none of `secrets`, nor any credential of the policies, is in any output or the audit file. */
  async stopAndCheck(secrets: string[]): Promise<void> {
    for (const name of INTAKE_POLICIES) secrets.push(...secretsOf(await this.policy(name)));
    expect((await this.daemon!.stop()).code).toBe(0);
    expectNoSecretsInOutput(secrets);
    const audit = await this.audit();
    for (const secret of secrets) expect(audit.includes(secret)).toBe(false);
  }
}
