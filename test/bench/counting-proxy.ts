import { request } from 'node:http';
import type { RecordedRequest } from '../helpers/store-proxy.js';

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
