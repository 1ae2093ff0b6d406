// Where a process's CPU went, from a V8 profile (node --cpu-prof): busy time by kind (Node's HTTP
// client, rotad's engine and stores, zod, pino, GC, …), idle time left out.
//   node --cpu-prof --cpu-prof-dir=/tmp/prof build/bench/test/bench/main.js   (with BENCH_PARTS=stores …)
//   node scripts/cpu-profile-summary.mjs /tmp/prof/CPU.*.cpuprofile
import { readFileSync } from 'node:fs';

const KINDS = [
  ['GC', (url, fn) => fn === '(garbage collector)'],
  [
    'HTTP client (node:http, sockets, json-request)',
    (url, fn) => /node:_http|node:net|stream|json-request|node:internal\/url|node:_tls/.test(url) || /^write(Utf8|Latin1)String$/.test(fn),
  ],
  ['zod', (url) => url.includes('node_modules/zod')],
  ['pino', (url) => url.includes('node_modules/pino')],
  ['metrics (prom-client)', (url) => url.includes('node_modules/prom-client')],
  ['YAML', (url) => url.includes('node_modules/yaml')],
  ['rotad stores', (url) => url.includes('/src/stores/')],
  ['rotad (engine, scheduler, rest)', (url) => url.includes('/src/')],
  ['other Node internals', (url) => url.startsWith('node:')],
];

const profile = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const nodes = new Map(profile.nodes.map((node) => [node.id, node.callFrame]));
const spent = new Map();
let busy = 0;
profile.samples.forEach((id, i) => {
  const { url, functionName } = nodes.get(id);
  if (functionName === '(idle)') return;
  const kind = KINDS.find(([, test]) => test(url, functionName))?.[0] ?? 'other';
  const ms = (profile.timeDeltas[i] ?? 0) / 1000;
  spent.set(kind, (spent.get(kind) ?? 0) + ms);
  busy += ms;
});
console.log(`busy ${(busy / 1000).toFixed(2)} s`);
for (const [kind, ms] of [...spent].sort((a, b) => b[1] - a[1])) console.log(`${((100 * ms) / busy).toFixed(1).padStart(5)} %  ${kind}`);
