import { createHash, createHmac, scrypt, timingSafeEqual } from 'node:crypto';
import type { Secret } from '../secret.js';

/** The public pepper of GitGuardian's HasMySecretLeaked hashing. */
const HMSL_PEPPER = createHash('sha256').update('GitGuardian').digest();

/**
 * The HasMySecretLeaked hash of a value, as GitGuardian puts it in an incident (`hmsl_hash`):
 * scrypt (N 2048, r 8, p 1, 32 bytes) with the pepper, in hex. About 5 ms of CPU, on the thread pool.
 */
export function hmslHash(value: Secret): Promise<string> {
  return new Promise((resolve, reject) =>
    scrypt(value.reveal(), HMSL_PEPPER, 32, { N: 2048, r: 8, p: 1 }, (error, key) => (error ? reject(error) : resolve(key.toString('hex')))),
  );
}

/**
 * A custom webhook's signature: `Gitguardian-Signature: sha256=<hex>`, the HMAC-SHA256 of the body
 * as sent, keyed with the `Timestamp` header followed by the signature token.
 */
export function gitguardianSignatureValid(token: string, timestamp: string, rawBody: string, header: string | undefined): boolean {
  if (header === undefined || !header.startsWith('sha256=')) return false;
  const expected = Buffer.from(
    `sha256=${createHmac('sha256', timestamp + token)
      .update(rawBody)
      .digest('hex')}`,
  );
  const given = Buffer.from(header);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
