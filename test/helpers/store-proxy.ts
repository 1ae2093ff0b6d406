import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request as it went through the proxy, to count and to replay. */
export interface RecordedRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/**
 * An HTTP proxy on 127.0.0.1 in front of a store server (OpenBao, moto) that counts and records
 * every request rotad makes: the store's round trips, as the server sees them.
 */
export class CountingProxy {
  readonly recorded: RecordedRequest[] = [];
  #server: Server | undefined;
  #refusals: Array<(request: RecordedRequest, earlier: readonly RecordedRequest[]) => boolean> = [];

  /** Answers the next request that `matches` (given the requests before it) with a 503 instead of forwarding it: a store failing at that very call. */
  refuseOnce(matches: (request: RecordedRequest, earlier: readonly RecordedRequest[]) => boolean): void {
    this.#refusals.push(matches);
  }

  constructor(private readonly target: URL) {}

  /** Listens on `port` of 127.0.0.1 (a free one by default); resolves with its URL. */
  async start(port = 0): Promise<string> {
    this.#server = createServer((incoming, answer) => {
      const chunks: Buffer[] = [];
      incoming.on('data', (c: Buffer) => chunks.push(c));
      incoming.on('end', () => {
        const body = Buffer.concat(chunks);
        const seen: RecordedRequest = { method: incoming.method ?? 'GET', path: incoming.url ?? '/', headers: incoming.headers, body };
        const refusal = this.#refusals.findIndex((matches) => matches(seen, this.recorded));
        this.recorded.push(seen);
        if (refusal >= 0) {
          this.#refusals.splice(refusal, 1);
          answer.writeHead(503, { 'content-type': 'application/json' }).end('{"errors":["refused by the test proxy"],"message":"refused by the test proxy"}');
          return;
        }
        const forwarded = request(
          {
            host: this.target.hostname,
            port: this.target.port,
            method: incoming.method,
            path: incoming.url,
            // The Host header is kept: AWS signatures cover it (moto checks them).
            headers: incoming.headers,
          },
          (response) => {
            answer.writeHead(response.statusCode ?? 502, response.headers);
            response.pipe(answer);
          },
        );
        forwarded.on('error', () => answer.destroy());
        forwarded.end(body);
      });
    });
    await new Promise<void>((resolve) => this.#server!.listen(port, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.#server!.address() as AddressInfo).port}`;
  }

  /** Requests by kind: `GET secret/data` for Vault, the X-Amz-Target action for AWS. */
  kinds(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const r of this.recorded) {
      const target = r.headers['x-amz-target'];
      const kind = typeof target === 'string' ? target.split('.').pop()! : `${r.method} ${r.path.split('/').slice(2, 4).join('/')}`;
      counts.set(kind, (counts.get(kind) ?? 0) + 1);
    }
    return counts;
  }

  async stop(): Promise<void> {
    await new Promise((resolve) => this.#server?.close(resolve));
  }
}
