import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { closeServer, listenLocal } from '../../helpers/ports.js';

/** One request a test server answered (admin routes excluded). `as` names the credential by id, never by value. */
export interface SeenCall {
  seq: number;
  /** When the request arrived (epoch ms). */
  at: number;
  method: string;
  path: string;
  status: number;
  as?: string | undefined;
}

/** A fault a test asks for: the next `count` matching requests get it instead of the real answer. */
export interface Fault {
  /** A status to answer with (e.g. 500, 429, 401). */
  status?: number;
  /** Answer 200 with a body that is not JSON. */
  garbage?: boolean;
  /** Answer 200 with this JSON body instead of the real one. */
  body?: unknown;
  /** Hold the answer this long (a timeout, when longer than the client waits). */
  delayMs?: number;
  /** Headers to add (e.g. Retry-After). */
  headers?: Record<string, string>;
  count: number;
  /** Only requests whose "METHOD path" contains this. */
  match?: string;
}

export interface Request {
  method: string;
  path: string;
  segments: string[];
  headers: IncomingMessage['headers'];
  body: unknown;
}

export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string> | undefined;
  /** Which credential made the call (its id), for the call log. */
  as?: string | undefined;
}

/** A process-wide sequence, so calls seen by different servers can be put in one order. */
let sequence = 0;

export function newToken(bytes = 24): string {
  return randomBytes(bytes).toString('hex');
}

export function basicCredentials(headers: IncomingMessage['headers']): { user: string; password: string } | undefined {
  const header = headers.authorization ?? '';
  if (!header.startsWith('Basic ')) return undefined;
  const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? undefined : { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/**
 * The shared part of every SaaS test server: an HTTP server on 127.0.0.1, a call log, injected
 * faults and test-only admin routes under /_admin (the "person" of an assisted rotation uses them).
 */
export abstract class SaasServer {
  readonly calls: SeenCall[] = [];
  readonly faults: Fault[] = [];
  url = '';
  #server: Server | undefined;
  #inFlight = 0;
  #drainWaiters: Array<() => void> = [];

  protected abstract handle(request: Request): Reply | Promise<Reply>;
  /** Test-only routes, reached as /_admin/...; segments exclude "_admin". */
  protected abstract admin(request: Request): Reply | Promise<Reply>;

  /** Listens on 127.0.0.1, on `port` (the sandbox's fixed ports) or a free one. */
  async start(port = 0): Promise<this> {
    this.#server = createServer((req, res) => void this.#counted(req, res));
    this.url = await listenLocal(this.#server, port);
    return this;
  }

  stop(): Promise<void> {
    return closeServer(this.#server);
  }

  /** Calls of one method whose path contains `path`, in order. */
  seen(method: string, path: string): SeenCall[] {
    return this.calls.filter((c) => c.method === method && c.path.includes(path));
  }

  /** Resolves once no request is being answered (a held answer included): tests wait on this, not on time. */
  drained(): Promise<void> {
    return this.#inFlight === 0 ? Promise.resolve() : new Promise((resolve) => this.#drainWaiters.push(resolve));
  }

  async #counted(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.#inFlight += 1;
    try {
      await this.#serve(req, res);
    } finally {
      this.#inFlight -= 1;
      if (this.#inFlight === 0) for (const resolve of this.#drainWaiters.splice(0)) resolve();
    }
  }

  async #serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://localhost');
    let body: unknown;
    try {
      body = text === '' ? undefined : JSON.parse(text);
    } catch {
      return this.#send(res, { status: 400, body: { error: 'body is not JSON' } });
    }
    const segments = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    const request: Request = { method: req.method ?? 'GET', path: url.pathname, segments, headers: req.headers, body };
    if (segments[0] === '_admin') {
      if (segments[1] === 'faults' && request.method === 'POST') {
        this.faults.push(body as Fault);
        return this.#send(res, { status: 204 });
      }
      return this.#send(res, await this.admin({ ...request, segments: segments.slice(1) }));
    }
    const seq = ++sequence;
    const at = Date.now();
    const fault = this.#takeFault(`${request.method} ${request.path}`);
    if (fault) {
      if (fault.delayMs) await new Promise((resolve) => setTimeout(resolve, fault.delayMs));
      if (res.destroyed) return;
      if (fault.garbage) {
        this.calls.push({ seq, at, method: request.method, path: request.path, status: 200 });
        res.writeHead(200, { 'content-type': 'application/json' }).end('<html>oops</html>');
        return;
      }
      if (fault.body !== undefined) {
        this.calls.push({ seq, at, method: request.method, path: request.path, status: 200 });
        return this.#send(res, { status: 200, body: fault.body });
      }
      if (fault.status !== undefined) {
        this.calls.push({ seq, at, method: request.method, path: request.path, status: fault.status });
        return this.#send(res, { status: fault.status, body: { error: `injected ${fault.status}` }, headers: fault.headers });
      }
    }
    const reply = await this.handle(request);
    this.calls.push({ seq, at, method: request.method, path: request.path, status: reply.status, as: reply.as });
    this.#send(res, reply);
  }

  #takeFault(call: string): Fault | undefined {
    const index = this.faults.findIndex((f) => f.count > 0 && (f.match === undefined || call.includes(f.match)));
    if (index < 0) return undefined;
    const fault = this.faults[index]!;
    fault.count -= 1;
    if (fault.count <= 0) this.faults.splice(index, 1);
    return fault;
  }

  #send(res: ServerResponse, reply: Reply): void {
    if (res.destroyed) return;
    const headers = { ...reply.headers };
    if (reply.body === undefined) {
      res.writeHead(reply.status, headers).end();
      return;
    }
    // A string body is plain text (Slack's webhook answers "ok"); anything else is JSON.
    if (typeof reply.body === 'string') res.writeHead(reply.status, { 'content-type': 'text/plain', ...headers }).end(reply.body);
    else res.writeHead(reply.status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(reply.body));
  }
}

/** A sliding one-window limiter for servers: true when the call is over the limit. */
export class WindowLimit {
  readonly #starts = new Map<string, number[]>();
  constructor(
    readonly limit: number,
    readonly windowMs: number,
  ) {}
  over(key: string, now = Date.now()): { over: boolean; used: number; resetMs: number } {
    const starts = (this.#starts.get(key) ?? []).filter((t) => t > now - this.windowMs);
    const over = starts.length >= this.limit;
    if (!over) starts.push(now);
    this.#starts.set(key, starts);
    return { over, used: starts.length, resetMs: starts.length > 0 ? starts[0]! + this.windowMs - now : 0 };
  }
}

export const notFound: Reply = { status: 404, body: { error: 'not found' } };
