import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

interface HealthChecks {
  /** Resolves when the daemon can do its work (config loaded, stores reachable); rejects with the reason. */
  ready(): Promise<void>;
  /** Prometheus exposition text and its content type. */
  metrics?: () => Promise<{ contentType: string; body: string }>;
}

/** `/healthz` (the process and its event loop answer), `/readyz` (config loaded, stores reachable) and `/metrics`. */
export async function startHealthServer(host: string, port: number, checks: HealthChecks): Promise<{ server: Server; port: number }> {
  const server = createServer((request, response) => {
    const reply = (status: number, body: object): void => {
      response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    // Read-only endpoints: anything but GET and HEAD is refused, so no probe or scanner can look like a change.
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.setHeader('allow', 'GET, HEAD');
      return reply(405, { status: 'method not allowed' });
    }
    if (request.url === '/healthz') return reply(200, { status: 'ok' });
    if (request.url === '/readyz') {
      checks.ready().then(
        () => reply(200, { status: 'ready' }),
        (error: unknown) => reply(503, { status: 'not ready', reason: error instanceof Error ? error.message : String(error) }),
      );
      return;
    }
    if (request.url === '/metrics' && checks.metrics) {
      checks.metrics().then(
        ({ contentType, body }) => response.writeHead(200, { 'content-type': contentType }).end(body),
        () => reply(500, { status: 'metrics unavailable' }),
      );
      return;
    }
    reply(404, { status: 'not found' });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  return { server, port: (server.address() as AddressInfo).port };
}
