import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { REPO } from './store-servers.js';

/**
 * What a platform engineer would write instead of rotad: per secret, `openssl rand` and `bao kv
 * put`, one after another. Returns the wall seconds for `count` secrets.
 */
export async function shellBaseline(vault: { address: string; rootToken: string }, count: number): Promise<number> {
  const script = 'for i in $(seq 1 "$COUNT"); do v=$(openssl rand -base64 32); "$BAO" kv put -mount=secret "shell-baseline/s$i" value="$v" >/dev/null; done';
  const started = performance.now();
  await promisify(execFile)('bash', ['-c', script], {
    env: { ...process.env, COUNT: String(count), BAO: `${REPO}.venv/bin/bao`, VAULT_ADDR: vault.address, VAULT_TOKEN: vault.rootToken },
  });
  return (performance.now() - started) / 1000;
}
