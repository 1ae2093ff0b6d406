// The CPU a request costs rotad's HTTP client (node:http, as src/http/json-request.ts sends it)
// against undici's pooled client, on a local OpenBao dev server (the one test/servers/install.sh
// puts in .venv): 20,000 KV reads at 64 at once, two rounds each, alternating.
// Run: node scripts/http-client-cost.mjs   (after `npm test` or `bash test/servers/install.sh`)
import { spawn } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { createServer } from 'node:net';
import { performance } from 'node:perf_hooks';
import { URL } from 'node:url';
import { Pool, fetch } from 'undici';

const N = 20_000;
const AT_ONCE = 64;
const TOKEN = 'http-client-cost';

const port = await new Promise((resolve) => {
  const probe = createServer().listen(0, '127.0.0.1', () => {
    const { port: free } = probe.address();
    probe.close(() => resolve(free));
  });
});
const address = `http://127.0.0.1:${port}`;
const bao = spawn('.venv/bin/bao', ['server', '-dev', `-dev-root-token-id=${TOKEN}`, `-dev-listen-address=127.0.0.1:${port}`], { stdio: 'ignore' });
try {
  for (let i = 0; ; i += 1) {
    if ((await fetch(`${address}/v1/sys/health`).catch(() => undefined))?.ok) break;
    if (i > 100) throw new Error('bao server did not come up');
    await new Promise((r) => setTimeout(r, 100));
  }
  const path = '/v1/secret/data/http-client-cost';
  const headers = { accept: 'application/json', 'x-vault-token': TOKEN };
  await fetch(`${address}${path}`, { method: 'POST', headers, body: JSON.stringify({ data: { value: 'x' } }) });

  const viaNodeHttp = () =>
    new Promise((resolve, reject) => {
      const req = httpRequest(new URL(path, address), { method: 'GET', headers }, (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve(JSON.parse(Buffer.concat(chunks).toString('utf8'))));
      });
      req.on('error', reject);
      req.end();
    });
  const pool = new Pool(address, { connections: AT_ONCE });
  const viaUndici = async () => JSON.parse(await (await pool.request({ path, method: 'GET', headers })).body.text());

  const round = async (name, send) => {
    let sent = 0;
    const cpu = process.cpuUsage();
    const started = performance.now();
    await Promise.all(
      Array.from({ length: AT_ONCE }, async () => {
        while (sent++ < N) await send();
      }),
    );
    const ms = performance.now() - started;
    const used = process.cpuUsage(cpu);
    console.log(`${name}  ${Math.round((N / ms) * 1000)} requests/s  ${((used.user + used.system) / N).toFixed(1)} µs of client CPU a request`);
  };
  for (let r = 0; r < 2; r += 1) {
    await round('node:http', viaNodeHttp);
    await round('undici   ', viaUndici);
  }
  await pool.close();
} finally {
  bao.kill('SIGTERM');
}
