import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { freePort } from '../helpers/ports.js';

/** The repository (this file runs from build/bench/test/bench). */
export const REPO = new URL('../../../../', import.meta.url).pathname;

export interface BenchServers {
  vault: { address: string; rootToken: string };
  /** moto, with authentication off: every request is served. */
  aws: { endpoint: string };
  stop(): void;
}

async function up(url: string, child: ChildProcess, name: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}`);
    if (
      await fetch(url).then(
        (r) => r.status < 500,
        () => false,
      )
    )
      return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${name} did not come up at ${url}`);
}

/** Installs (test/servers/install.sh, as the tests do) and starts an OpenBao dev server and a moto server on 127.0.0.1. */
export async function startBenchServers(): Promise<BenchServers> {
  execFileSync('bash', ['test/servers/install.sh'], { cwd: REPO, stdio: 'inherit' });
  const rootToken = 'rotad-bench-root-token';
  const [vaultPort, motoPort] = [await freePort(), await freePort()];
  const bao = spawn(`${REPO}.venv/bin/bao`, ['server', '-dev', `-dev-root-token-id=${rootToken}`, `-dev-listen-address=127.0.0.1:${vaultPort}`], {
    stdio: 'ignore',
  });
  const moto = spawn(`${REPO}.venv/bin/moto_server`, ['-H', '127.0.0.1', '-p', String(motoPort)], { stdio: 'ignore' });
  const stop = (): void => {
    bao.kill('SIGTERM');
    moto.kill('SIGTERM');
  };
  try {
    const address = `http://127.0.0.1:${vaultPort}`;
    await up(`${address}/v1/sys/health`, bao, 'bao server');
    await up(`http://127.0.0.1:${motoPort}/moto-api/`, moto, 'moto_server');
    return { vault: { address, rootToken }, aws: { endpoint: `http://127.0.0.1:${motoPort}` }, stop };
  } catch (error) {
    stop();
    throw error;
  }
}
