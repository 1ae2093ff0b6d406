import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ROOT } from './paths.js';

/** The minimal Vault policy exactly as src/stores/vault/readme.md documents it. */
export async function documentedVaultPolicy(): Promise<string> {
  const readme = await readFile(join(ROOT, 'src/stores/vault/readme.md'), 'utf8');
  const hcl = /```hcl\n([\s\S]*?)```/.exec(readme)?.[1];
  if (!hcl) throw new Error('no hcl block in the Vault readme');
  return hcl;
}
