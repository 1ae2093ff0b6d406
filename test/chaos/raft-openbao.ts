import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ROOT } from '../helpers/paths.js';
import { freePort } from '../helpers/ports.js';
import { pause } from './harness.js';

/**
 * An OpenBao server on raft storage (not the in-memory dev server): it can be stopped and started
 * again with its data, as a real store outage. Initialised with one unseal key, unsealed on every
 * start, with KV v2 at secret/.
 */
export class RaftOpenBao {
  address = '';
  rootToken = '';
  #unsealKey = '';
  #config = '';
  #child: ChildProcess | undefined;
  #output: string[] = [];

  async create(dir: string): Promise<void> {
    const [port, clusterPort] = [await freePort(), await freePort()];
    this.address = `http://127.0.0.1:${port}`;
    await mkdir(join(dir, 'raft'), { recursive: true });
    this.#config = join(dir, 'bao.hcl');
    await writeFile(
      this.#config,
      `storage "raft" {
  path = "${join(dir, 'raft')}"
  node_id = "chaos"
}
listener "tcp" {
  address = "127.0.0.1:${port}"
  tls_disable = true
}
api_addr = "${this.address}"
cluster_addr = "http://127.0.0.1:${clusterPort}"
disable_mlock = true
`,
    );
    this.#spawn();
    await this.#until(async () => (await fetch(`${this.address}/v1/sys/seal-status`)).ok);
    const init = (await this.#call('PUT', 'sys/init', { secret_shares: 1, secret_threshold: 1 })) as { keys_base64: string[]; root_token: string };
    this.#unsealKey = init.keys_base64[0] ?? '';
    this.rootToken = init.root_token;
    await this.#unsealAndWait();
    await this.#call('POST', 'sys/mounts/secret', { type: 'kv', options: { version: '2' } });
  }

  /** The outage: the server process goes away (SIGKILL: no clean shutdown). */
  async stop(): Promise<void> {
    const child = this.#child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.on('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }

  /** Back with its data: started, unsealed, leader again. */
  async start(): Promise<void> {
    this.#spawn();
    await this.#until(async () => (await fetch(`${this.address}/v1/sys/seal-status`)).ok);
    await this.#unsealAndWait();
  }

  #spawn(): void {
    this.#output = [];
    this.#child = spawn(`${ROOT}.venv/bin/bao`, ['server', `-config=${this.#config}`], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, HOME: process.env.HOME ?? '/tmp' },
    });
    this.#child.stdout?.on('data', (c: Buffer) => this.#output.push(c.toString()));
    this.#child.stderr?.on('data', (c: Buffer) => this.#output.push(c.toString()));
  }

  async #unsealAndWait(): Promise<void> {
    await this.#call('PUT', 'sys/unseal', { key: this.#unsealKey });
    // Active means the raft node elected itself and serves writes.
    await this.#until(async () => (await fetch(`${this.address}/v1/sys/health`)).status === 200);
  }

  async #call(method: string, path: string, body: unknown): Promise<unknown> {
    const response = await fetch(`${this.address}/v1/${path}`, { method, headers: { 'x-vault-token': this.rootToken }, body: JSON.stringify(body) });
    if (!response.ok) throw new Error(`OpenBao ${method} ${path}: ${response.status} ${await response.text()}`);
    return response.status === 204 ? undefined : response.json();
  }

  async #until(ready: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (await ready().catch(() => false)) return;
      if (this.#child?.exitCode !== null && this.#child?.exitCode !== undefined) throw new Error(`bao exited:\n${this.#output.join('')}`);
      if (Date.now() > deadline) throw new Error(`bao did not get ready:\n${this.#output.join('')}`);
      await pause(200);
    }
  }
}
