import { createHmac, timingSafeEqual } from 'node:crypto';

/** The signature header value: `v1=` + hex HMAC-SHA256 of `<timestamp>.<body>` under the shared secret. */
export function sign(secret: string, timestamp: number, body: string): string {
  return `v1=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/**
 * What a receiver does (and what the tests do): recompute the signature over the raw body, compare
 * in constant time, and refuse timestamps older than `toleranceSeconds` (replays).
 */
export function verify(secret: string, timestamp: string, body: string, signature: string, nowSeconds: number, toleranceSeconds = 300): boolean {
  const ts = Number(timestamp);
  if (!Number.isInteger(ts) || Math.abs(nowSeconds - ts) > toleranceSeconds) return false;
  const expected = Buffer.from(sign(secret, ts, body));
  const given = Buffer.from(signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}
