import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import type { TestProject } from 'vitest/node';
import { ROOT } from '../helpers/paths.js';

/** What the store tests need to reach the real servers. */
export interface TestServers {
  vault: { address: string; rootToken: string };
  aws: { endpoint: string; region: string; accessKeyId: string; secretAccessKey: string };
}

declare module 'vitest' {
  export interface ProvidedContext {
    servers: TestServers;
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

async function waitUntilUp(name: string, url: string, child: ChildProcess, output: string[]): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}:\n${output.join('')}`);
    const ok = await fetch(url).then((r) => r.status < 500, () => false);
    if (ok) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${name} did not come up at ${url}:\n${output.join('')}`);
}

function start(command: string, args: string[]): { child: ChildProcess; output: string[] } {
  const output: string[] = [];
  const child = spawn(command, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, HOME: process.env.HOME ?? '/tmp' } });
  child.stdout?.on('data', (c: Buffer) => output.push(c.toString()));
  child.stderr?.on('data', (c: Buffer) => output.push(c.toString()));
  return { child, output };
}

/**
 * Installs (test/servers/install.sh) and starts a real OpenBao dev server and a real moto server
 * on free ports on 127.0.0.1 for the whole run, and stops them afterwards.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  execFileSync('bash', ['test/servers/install.sh'], { cwd: ROOT, stdio: 'inherit' });
  const rootToken = 'rotad-test-root-token';
  const [vaultPort, motoPort] = [await freePort(), await freePort()];
  const bao = start(`${ROOT}.venv/bin/bao`, ['server', '-dev', `-dev-root-token-id=${rootToken}`, `-dev-listen-address=127.0.0.1:${vaultPort}`]);
  const moto = start(`${ROOT}.venv/bin/moto_server`, ['-H', '127.0.0.1', '-p', String(motoPort)]);
  const stop = async (): Promise<void> => {
    for (const { child } of [bao, moto]) child.kill('SIGTERM');
  };
  try {
    const address = `http://127.0.0.1:${vaultPort}`;
    await waitUntilUp('bao server', `${address}/v1/sys/health`, bao.child, bao.output);
    await waitUntilUp('moto_server', `http://127.0.0.1:${motoPort}/moto-api/`, moto.child, moto.output);
    const enabled = await fetch(`${address}/v1/sys/auth/approle`, { method: 'POST', headers: { 'x-vault-token': rootToken }, body: JSON.stringify({ type: 'approle' }) });
    if (!enabled.ok) throw new Error(`enabling AppRole failed: ${enabled.status}`);
    project.provide('servers', {
      vault: { address, rootToken },
      aws: { endpoint: `http://127.0.0.1:${motoPort}`, region: 'eu-central-1', accessKeyId: 'testing', secretAccessKey: 'testing' },
    });
  } catch (error) {
    await stop();
    throw error;
  }
  return stop;
}
