import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { RotadError } from '../../errors.js';
import { registerSecretValue } from '../../secret.js';

export type KeySource = { kind: 'file'; path: string; generate: boolean } | { kind: 'env'; name: string };

function describe(source: KeySource): string {
  return source.kind === 'file' ? `key file ${source.path}` : `environment variable ${source.name}`;
}

/** Decodes a 256-bit key written as base64 or hex. */
function decodeKey(text: string, source: KeySource): Buffer {
  const trimmed = text.trim();
  registerSecretValue(trimmed);
  const key = /^[0-9a-fA-F]{64}$/.test(trimmed) ? Buffer.from(trimmed, 'hex') : Buffer.from(trimmed, 'base64');
  if (key.length !== 32) {
    throw new RotadError('STORE_KEY_MISSING', `${describe(source)} does not hold a 256-bit key (expected 44 base64 or 64 hex characters)`);
  }
  return key;
}

function isMissing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException).code === 'ENOENT';
}

/**
 * Loads the store key. A missing key file is generated only when `generate` is set and the store
 * does not exist yet (`storeExists` false): a new key for an existing store would make it unreadable.
 */
export async function loadKey(source: KeySource, storeExists: boolean): Promise<Buffer> {
  if (source.kind === 'env') {
    const text = process.env[source.name];
    if (text === undefined || text.trim() === '') {
      throw new RotadError('STORE_KEY_MISSING', `environment variable ${source.name} (the file store key) is not set`);
    }
    return decodeKey(text, source);
  }
  try {
    return decodeKey(await readFile(source.path, 'utf8'), source);
  } catch (error) {
    if (!isMissing(error)) throw error;
  }
  if (!source.generate || storeExists) {
    const why = storeExists ? 'the store exists, so its key must be restored, not replaced' : 'set key.generate: true to create one';
    throw new RotadError('STORE_KEY_MISSING', `key file ${source.path} does not exist (${why})`);
  }
  await mkdir(dirname(source.path), { recursive: true, mode: 0o700 });
  const encoded = randomBytes(32).toString('base64');
  try {
    await writeFile(source.path, `${encoded}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    // Another process generated it first: use theirs.
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return decodeKey(await readFile(source.path, 'utf8'), source);
  }
  return decodeKey(encoded, source);
}
