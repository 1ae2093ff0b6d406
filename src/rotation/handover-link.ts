import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { HandoverLink } from '../policy-state.js';
import { registerSecretValue } from '../secret.js';

/** Links of one request that stay valid at once: the request's and its latest reminders'. */
export const LINKS_KEPT = 3;

/** A link as sent: the record kept in the state, and the URL with its secret (sent, never stored). */
export interface MintedLink {
  link: HandoverLink;
  url: string;
}

export function hashLinkSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/**
 * A new link for a policy's open request: `<publicUrl>/handover/<policy>.<id>#<secret>`. The
 * secret sits in the fragment, which browsers never send to a server, a proxy or a Referer.
 */
export function mintLink(publicUrl: string, policy: string, expiresAt: number): MintedLink {
  const id = `${policy}.${randomBytes(12).toString('base64url')}`;
  const secret = randomBytes(32).toString('base64url');
  registerSecretValue(secret); // never in a log line, even by mistake
  return { link: { id, hash: hashLinkSecret(secret), expiresAt, refused: 0, locked: false }, url: `${publicUrl}/handover/${id}#${secret}` };
}

/** The policy a link id belongs to (the part before its last dot), or undefined for a malformed id. */
export function policyOfLink(id: string): string | undefined {
  const match = /^([a-z0-9][a-z0-9._-]{0,62})\.[A-Za-z0-9_-]{16}$/.exec(id);
  return match?.[1];
}

/** Whether `secret` is the link's secret, compared in constant time. */
export function secretMatches(link: HandoverLink, secret: string): boolean {
  const expected = Buffer.from(link.hash, 'hex');
  const given = Buffer.from(hashLinkSecret(secret), 'hex');
  return expected.length === given.length && timingSafeEqual(expected, given);
}
