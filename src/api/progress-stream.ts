import type { FastifyReply, FastifyRequest } from 'fastify';
import { followProgress } from '../control/progress.js';
import { policyStatuses, type PolicyStatus } from '../control/status.js';
import type { Runtime } from '../wiring/runtime.js';

/** A comment line this often keeps proxies and the listener's idle timeout from closing a quiet stream. */
const KEEPALIVE_MS = 15_000;

/** Whether the caller asked for server-sent events (`Accept: text/event-stream`). */
export function wantsEventStream(request: FastifyRequest): boolean {
  return String(request.headers.accept ?? '').includes('text/event-stream');
}

/**
 * Answers a rotation request as server-sent events, as `rotad rotate --wait` shows it: `requested`
 * (the answer the JSON call would get), then a `progress` event per change (`{ policy, progress }`),
 * and `summary` once every rotation is done or failed, when the stream ends. A client that goes away
 * ends the following; the rotations go on.
 */
export async function streamProgress(
  request: FastifyRequest,
  reply: FastifyReply,
  runtime: () => Runtime,
  before: ReadonlyMap<string, PolicyStatus>,
  requested: unknown,
): Promise<void> {
  reply.hijack();
  const raw = reply.raw;
  raw.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive' });
  const send = (event: string, data: unknown): void => {
    raw.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  };
  const stop = new AbortController();
  request.raw.on('close', () => stop.abort());
  send('requested', requested);
  let lastWrite = Date.now();
  const { summary } = await followProgress({
    read: (names) => policyStatuses(runtime(), names),
    before,
    signal: stop.signal,
    onChange: (policy, progress) => {
      send('progress', { policy, progress, at: new Date().toISOString() });
      lastWrite = Date.now();
    },
    onPass: () => {
      if (Date.now() - lastWrite < KEEPALIVE_MS) return;
      raw.write(': still following\n\n');
      lastWrite = Date.now();
    },
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  });
  if (!stop.signal.aborted) send('summary', summary);
  raw.end();
}
