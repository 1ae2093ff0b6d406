import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeIdleFleet } from './file-store-world.js';

const CLI = new URL('../../../../dist/cli/main.js', import.meta.url).pathname;

/** The dashboard pages timed, as a person opens them. */
const PAGES = [
  { what: 'fleet, first page (by name)', path: '/ui/' },
  { what: 'fleet, sorted by next rotation, descending, the last page', path: '/ui/?sort=next&desc=1&page=200' },
  { what: 'fleet, filtered: name contains policy-09, state OK', path: '/ui/?name=policy-09&state=ok' },
  { what: 'timeline (every policy, 181 days)', path: '/ui/timeline' },
  { what: 'policy page', path: '/ui/policies/policy-00500' },
];

export interface PageTiming {
  what: string;
  medianMs: number;
  p95Ms: number;
  maxMs: number;
  kb: number;
}

const quantile = (sorted: number[], q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;

/**
 * `rotad run` over an idle fleet of `count` policies on the file store with the control API on,
 * signed in to the dashboard with a read token: each page fetched `samples` times in a row, after
 * one warm-up fetch, timed from the request to the last byte of the page.
 */
export async function dashboardTimes(dir: string, count: number, samples: number): Promise<PageTiming[]> {
  const config = await writeIdleFleet(dir, count);
  const token = randomBytes(24).toString('hex');
  await writeFile(join(dir, 'bench.token'), token, { mode: 0o600 });
  const text = await readFile(config, 'utf8');
  await writeFile(
    config,
    text.replace(
      '  watchConfig: 0s\n',
      `  watchConfig: 0s\n  api: { host: 127.0.0.1, port: 0, requestsPerMinute: 10000, tokens: [ { name: bench, file: ${join(dir, 'bench.token')}, scopes: [read] } ] }\n`,
    ),
  );
  const child = spawn(process.execPath, [CLI, 'run', '--config', config], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const portOf = async (message: string): Promise<number> => {
    for (let waited = 0; waited < 600_000; waited += 20) {
      const line = output.split('\n').find((l) => l.includes(`"msg":"${message}"`));
      if (line) return (JSON.parse(line) as { port: number }).port;
      if (child.exitCode !== null) throw new Error(`daemon exited:\n${output.slice(-2000)}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    throw new Error(`no "${message}" line`);
  };
  try {
    const health = await portOf('Health endpoints listening');
    const api = await portOf('Control API listening');
    while (
      (await fetch(`http://127.0.0.1:${health}/readyz`).then(
        (r) => r.status,
        () => 0,
      )) !== 200
    )
      await new Promise((r) => setTimeout(r, 50));
    // The scheduler's first look over every policy, which the fleet page sorts and counts from.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const base = `http://127.0.0.1:${api}`;
    const signIn = await fetch(`${base}/ui/sign-in`, { method: 'POST', redirect: 'manual', body: new URLSearchParams({ token }) });
    const cookie = /rotad_session=[^;]+/.exec(signIn.headers.get('set-cookie') ?? '')?.[0];
    if (!cookie) throw new Error(`sign-in failed: ${signIn.status}`);
    const timings: PageTiming[] = [];
    for (const { what, path } of PAGES) {
      const times: number[] = [];
      let bytes = 0;
      for (let i = 0; i <= samples; i += 1) {
        const started = performance.now();
        const response = await fetch(`${base}${path}`, { headers: { cookie } });
        const body = await response.text();
        if (response.status !== 200) throw new Error(`${path}: ${response.status} ${body.slice(0, 2000)}\n${output.slice(-2000)}`);
        if (i > 0) times.push(performance.now() - started);
        bytes = body.length;
      }
      times.sort((a, b) => a - b);
      timings.push({ what, medianMs: quantile(times, 0.5), p95Ms: quantile(times, 0.95), maxMs: times.at(-1)!, kb: bytes / 1024 });
    }
    return timings;
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
  }
}
