import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { RotadError } from '../../errors.js';
import type { Envelope } from './document.js';

/** A keyed fingerprint of the key: identifies it without revealing anything about it. */
const keyIds = new WeakMap<Buffer, string>();

export function keyId(key: Buffer): string {
  let id = keyIds.get(key);
  if (id === undefined) {
    id = createHmac('sha256', key).update('rotad-file-store-key-id').digest('hex').slice(0, 16);
    keyIds.set(key, id);
  }
  return id;
}

/** Encrypts `plaintext`; `context` (not stored) is authenticated with it: opening needs the same context. */
export function seal(plaintext: string, key: Buffer, context = ''): Envelope {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  if (context !== '') cipher.setAAD(Buffer.from(context));
  const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return {
    format: 'rotad-file-store',
    version: 1,
    keyId: keyId(key),
    iv: iv.toString('base64'),
    tag: cipher.getAuthTag().toString('base64'),
    data: data.toString('base64'),
  };
}

/** Throws STORE_KEY_MISMATCH unless `key` is the key whose id was stored as `storedKeyId`. */
export function assertKey(storedKeyId: string, key: Buffer, where: string): void {
  if (storedKeyId === keyId(key)) return;
  throw new RotadError(
    'STORE_KEY_MISMATCH',
    `the configured key does not open ${where} (store key id ${storedKeyId}, configured key id ${keyId(key)}); ` +
      'restore the key the store was written with — rotad never overwrites a store it cannot read',
  );
}

/** Decrypts an envelope; tells a wrong key (STORE_KEY_MISMATCH) from a damaged file (STORE_CORRUPT). */
export function open(envelope: Pick<Envelope, 'keyId' | 'iv' | 'tag' | 'data'>, key: Buffer, where: string, context = ''): string {
  assertKey(envelope.keyId, key, where);
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(envelope.iv, 'base64'));
    decipher.setAuthTag(Buffer.from(envelope.tag, 'base64'));
    if (context !== '') decipher.setAAD(Buffer.from(context));
    return Buffer.concat([decipher.update(Buffer.from(envelope.data, 'base64')), decipher.final()]).toString('utf8');
  } catch (error) {
    throw new RotadError('STORE_CORRUPT', `${where} failed its integrity check (damaged or edited); restore it from a backup`, { cause: error });
  }
}
