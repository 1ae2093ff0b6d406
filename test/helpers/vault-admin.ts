import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { inject } from 'vitest';
import { ROOT } from './paths.js';

/** The minimal Vault policy exactly as src/stores/vault/readme.md documents it. */
export async function documentedVaultPolicy(): Promise<string> {
  const readme = await readFile(join(ROOT, 'src/stores/vault/readme.md'), 'utf8');
  const hcl = /```hcl\n([\s\S]*?)```/.exec(readme)?.[1];
  if (!hcl) throw new Error('no hcl block in the Vault readme');
  return hcl;
}

/** A call to the test OpenBao with its root token (setting up auth methods, policies, roles); the JSON answer, or {} for 204. */
export async function vaultRoot(method: string, path: string, body?: unknown): Promise<Record<string, any>> {
  const { address, rootToken } = inject('servers').vault;
  const response = await fetch(`${address}/v1/${path}`, {
    method,
    headers: { 'x-vault-token': rootToken },
    body: body === undefined ? null : JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
  return response.status === 204 ? {} : ((await response.json()) as Record<string, any>);
}
