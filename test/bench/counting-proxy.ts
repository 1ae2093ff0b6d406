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

  constructor(private readonly target: URL) {}

  async start(): Promise<string> {
    this.#server = createServer((incoming, answer) => {
      const chunks: Buffer[] = [];
      incoming.on('data', (c: Buffer) => chunks.push(c));
      incoming.on('end', () => {
        const body = Buffer.concat(chunks);
        this.recorded.push({ method: incoming.method ?? 'GET', path: incoming.url ?? '/', headers: incoming.headers, body });
        const forwarded = request(
          {
            host: this.target.hostname,
            port: this.target.port,
            method: incoming.method,
            path: incoming.url,
            headers: { ...incoming.headers, host: this.target.host },
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
    await new Promise<void>((resolve) => this.#server!.listen(0, '127.0.0.1', resolve));
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

/**
 * Sends `requests` straight to the server, `concurrency` at a time, as plain HTTP: the raw rate of
 * the same calls. Vault's compare-and-swap option is dropped from writes, so that a replayed write
 * lands (a refused one would be cheaper) instead of failing on a version that moved on.
 */
export async function replay(target: URL, requests: readonly RecordedRequest[], concurrency: number): Promise<number> {
  let next = 0;
  const started = performance.now();
  const worker = async (): Promise<void> => {
    while (next < requests.length) {
      const r = requests[next++]!;
      let body = r.body;
      if (body.length > 0 && r.headers['x-vault-token'] !== undefined && r.method === 'POST') {
        const parsed = JSON.parse(body.toString()) as { options?: unknown };
        delete parsed.options;
        body = Buffer.from(JSON.stringify(parsed));
      }
      const headers = { ...r.headers, host: target.host, 'content-length': String(body.length) };
      await new Promise<void>((resolve, reject) => {
        const sent = request({ host: target.hostname, port: target.port, method: r.method, path: r.path, headers }, (response) => {
          response.resume();
          response.on('end', resolve);
        });
        sent.on('error', reject);
        sent.end(body);
      });
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return (performance.now() - started) / 1000;
}
