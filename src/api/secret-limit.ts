import type { FastifyReply, FastifyRequest } from 'fastify';
import { hashLinkSecret } from '../rotation/handover-link.js';

/** Keys kept at most: past this, expired windows are dropped, then the oldest. */
const MAX_KEYS = 10_000;

/**
 * A fixed-window limit on posts per link *secret* (a digest of it is the key), checked once the
 * body is read. Not @fastify/rate-limit: it runs one limit per request (the first hook wins), and
 * this one must apply on top of the per-client limit.
 */
export function limitPerSecret(max: number, windowMs: number, now: () => number): (request: FastifyRequest, reply: FastifyReply) => Promise<void> {
  const windows = new Map<string, { count: number; resetAt: number }>();
  return async (request, reply) => {
    const { id } = request.params as { id: string };
    const secret = (request.body as { secret?: unknown } | undefined)?.secret;
    const key = `${id}:${hashLinkSecret(typeof secret === 'string' ? secret : '')}`;
    const at = now();
    let window = windows.get(key);
    if (window === undefined || window.resetAt <= at) {
      if (windows.size >= MAX_KEYS) {
        for (const [k, w] of windows) if (w.resetAt <= at) windows.delete(k);
        if (windows.size >= MAX_KEYS) windows.delete(windows.keys().next().value!);
      }
      window = { count: 0, resetAt: at + windowMs };
      windows.set(key, window);
    }
    window.count += 1;
    if (window.count > max) {
      const after = Math.ceil((window.resetAt - at) / 1000);
      await reply
        .code(429)
        .header('retry-after', String(after))
        .send({ code: 'RATE_LIMITED', message: `too many posts with this link; retry in ${after} seconds` });
    }
  };
}
