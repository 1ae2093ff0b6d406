import { z } from 'zod';

/**
 * One DNS label (letters, digits, inner hyphens): an organization or subdomain that is put into a
 * host name. No dots, slashes or "@", so a config can never send a token to another host.
 */
export const DnsLabel = z
  .string()
  .regex(/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/i, { error: 'expected one DNS label (letters, digits and inner hyphens; no dots, slashes or @)' });

/** An http(s) base URL override (tests, proxies); the path is kept, a trailing slash is not needed. */
export const BaseUrl = z.url({ protocol: /^https?$/, error: 'expected an http:// or https:// URL' });

/** `base` + `path`, keeping any path prefix of `base`. */
export function endpoint(base: string, path: string): URL {
  const url = new URL(base);
  url.pathname = `${url.pathname.replace(/\/+$/, '')}${path}`;
  return url;
}
