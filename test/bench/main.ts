// `npm run bench`: the figures of issue 15, printed as one table. Not part of npm test.
//   BENCH_PARTS=fleet,files,stores,shell,memory,databases (default: all)
//   BENCH_DB_ROTATIONS=200                                 database providers (postgres, mysql)
//   BENCH_SIZES=100,1000,10000   BENCH_IDLE_SECONDS=20   fleet of idle file-store policies
//   BENCH_ROTATIONS=500   BENCH_CONCURRENCY=16            throughput on each store
//   BENCH_INCIDENT=2000   BENCH_INCIDENT_REPLICAS=1,3     incident over a fleet on OpenBao (part incident);
//   BENCH_INCIDENT_SHARDING=0                             replicas without daemon.sharding (each reads every policy)
//   BENCH_LEAK_SIZES=1000,10000                           leak report to the provider call (part incident)
//   BENCH_DASHBOARD_SIZES=1000,10000 BENCH_DASHBOARD_SAMPLES=20   dashboard pages over an idle fleet (part dashboard)
import { cpus, totalmem, tmpdir } from 'node:os';
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { CountingProxy } from '../helpers/store-proxy.js';
import { replay } from './counting-proxy.js';
import { databaseThroughput } from './database-runs.js';
import { writeIdleFleet } from './file-store-world.js';
import { measureFileStoreWrites } from './file-store-writes.js';
import { measureDaemon, timeCommand, type Run } from './measure.js';
import { memoryOverRotations } from './memory.js';
import { shellBaseline } from './shell-baseline.js';
import { rotateFleet, type StoreKind } from './store-runs.js';
import { incidentFleet, leakToProviderCall } from './incident-runs.js';
import { dashboardTimes } from './dashboard-runs.js';
import { startBenchServers, type BenchServers } from './store-servers.js';

const parts = new Set((process.env.BENCH_PARTS ?? 'fleet,files,stores,shell,memory,databases,incident,dashboard').split(','));
const sizes = (process.env.BENCH_SIZES ?? '100,1000,10000').split(',').map(Number);
const idleS = Number(process.env.BENCH_IDLE_SECONDS ?? '20');
const rotations = Number(process.env.BENCH_ROTATIONS ?? '500');
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? '16');
const COUNTED = 20;
/** Throughput is measured in this many rounds, each rotad's rotations then the same calls sent raw. */
const THROUGHPUT_ROUNDS = 4;

const HEAD = ['N', 'what', 'wall', 'CPU', 'RSS', 'round trips / rotation', 'rotations/s', 'raw rate', 'ratio'];
const rows: string[][] = [HEAD];
const row = (cells: Partial<Record<(typeof HEAD)[number], string>>): void => {
  rows.push(HEAD.map((h) => cells[h] ?? ''));
};
const s = (seconds: number): string => `${seconds.toFixed(2)} s`;
const fmt = (run: Run) => ({ wall: s(run.wallS), CPU: s(run.cpuS), RSS: `${run.rssMb.toFixed(0)} MB` });
const temp = (name: string): Promise<string> => mkdtemp(join(tmpdir(), `rotad-bench-${name}-`));

console.log(`rotad bench: node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB`);

if (parts.has('fleet')) {
  for (const n of sizes) {
    const dir = await temp(`fleet-${n}`);
    try {
      const config = await writeIdleFleet(dir, n);
      for (const command of ['validate', 'status', 'plan'])
        row({ N: String(n), what: `rotad ${command}`, ...fmt(await timeCommand([command, '--config', config])) });
      const daemon = await measureDaemon(config, idleS);
      row({ N: String(n), what: 'rotad run: start to ready', wall: s(daemon.readyS), RSS: `${daemon.rssMb.toFixed(0)} MB` });
      row({ N: String(n), what: `rotad run: idle CPU over ${idleS} s`, CPU: `${daemon.idleCpuPercent.toFixed(2)} % of a core` });
      row({ N: String(n), what: 'SIGUSR2 to rotation start', wall: `${daemon.signalToStartMs} ms` });
      // Idle reads come once per rescanEvery (15 min): too rare for a short window, so measured at 20 s and scaled.
      const rescanning = await measureDaemon(await writeIdleFleet(dir, n, 'policy-00000', '20s'), idleS);
      row({
        N: String(n),
        what: `rotad run: idle CPU with rescanEvery 20s over ${idleS} s (each policy read every 20 s)`,
        CPU: `${rescanning.idleCpuPercent.toFixed(2)} % of a core, so ${((rescanning.idleCpuPercent * 20) / 900).toFixed(3)} % at 15m`,
      });
      console.log(`  fleet of ${n} measured`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
}

if (parts.has('dashboard')) {
  const samples = Number(process.env.BENCH_DASHBOARD_SAMPLES ?? '20');
  for (const n of (process.env.BENCH_DASHBOARD_SIZES ?? '1000,10000').split(',').map(Number)) {
    const dir = await temp(`dashboard-${n}`);
    try {
      for (const page of await dashboardTimes(dir, n, samples))
        row({
          N: String(n),
          what: `dashboard: ${page.what} (${page.kb.toFixed(0)} KB), ${samples} fetches: median, p95, max`,
          wall: `${page.medianMs.toFixed(0)} ms, ${page.p95Ms.toFixed(0)} ms, ${page.maxMs.toFixed(0)} ms`,
        });
      console.log(`  dashboard over ${n} policies measured`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
}

if (parts.has('files')) {
  for (const n of sizes) {
    const dir = await temp(`writes-${n}`);
    try {
      const rates = await measureFileStoreWrites(dir, n, 502);
      const files = `${rates.fileMb.toFixed(1)} MB file, ${rates.recordBytes.toFixed(0)} B per write`;
      row({
        N: String(n),
        what: `file store: state writes (${files}) vs append+fdatasync of the same bytes`,
        'rotations/s': `${rates.storePerS.toFixed(0)} writes/s`,
        'raw rate': `${rates.appendPerS.toFixed(0)}/s`,
        ratio: `${((100 * rates.storePerS) / rates.appendPerS).toFixed(0)} %`,
      });
      row({
        N: String(n),
        what: `file store: the same writes vs rewriting the whole file (temp+fsync+rename; the layout before the journal)`,
        'rotations/s': `${rates.storePerS.toFixed(0)} writes/s`,
        'raw rate': `${rates.rewritePerS.toFixed(0)}/s`,
        ratio: `${((100 * rates.storePerS) / rates.rewritePerS).toFixed(0)} %`,
      });
      row({
        N: String(n),
        what: `file store: folding the journal into a new store file (at close; while running, once the journal outgrows the file: every ~${Math.round(Math.max(rates.fileMb * 2 ** 20, 256 * 1024) / rates.recordBytes)} writes)`,
        wall: `${rates.foldMs.toFixed(0)} ms`,
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
  console.log('  file store writes measured');
}

let servers: BenchServers | undefined;
const serversUp = async (): Promise<BenchServers> => {
  servers ??= await startBenchServers();
  process.env.BENCH_VAULT_TOKEN = servers.vault.rootToken;
  process.env.AWS_ACCESS_KEY_ID = 'bench';
  process.env.AWS_SECRET_ACCESS_KEY = 'bench';
  return servers;
};
let vaultSeconds: number | undefined;

try {
  if (parts.has('stores')) {
    const up = await serversUp();
    const targets: Record<StoreKind, string | undefined> = { file: undefined, vault: up.vault.address, 'aws-secrets-manager': up.aws.endpoint };
    for (const kind of ['file', 'vault', 'aws-secrets-manager'] as const) {
      // Round trips: a few policies through a counting proxy (first rotation, then one SIGUSR2 rotation each).
      const target = targets[kind];
      const proxy = target === undefined ? undefined : new CountingProxy(new URL(target));
      const endpoint = await proxy?.start();
      const counted = await temp(`count-${kind}`);
      const perRound: string[] = [];
      let recordedFirst = 0;
      await rotateFleet(kind, counted, endpoint, {
        count: COUNTED,
        concurrency: 4,
        prefix: `count${Date.now()}`,
        rounds: 2,
        onRound: (round, run) => {
          const requests = proxy ? (proxy.recorded.length - (round === 2 ? recordedFirst : 0)) / COUNTED : undefined;
          if (round === 1) recordedFirst = proxy?.recorded.length ?? 0;
          perRound.push(
            `${round === 1 ? 'first' : 'SIGUSR2'}: ${run.storeCallsPerRotation.toFixed(1)} store calls${requests === undefined ? '' : `, ${requests.toFixed(1)} HTTP requests`}`,
          );
        },
      });
      await proxy?.stop();
      await rm(counted, { recursive: true, force: true });
      // Throughput, straight to the server, against the same calls sent raw (the first-rotation
      // requests of the counted run): in alternating rounds, so that both see the same machine.
      const first = proxy ? proxy.recorded.slice(0, recordedFirst) : [];
      const perRoundRotations = Math.ceil(rotations / THROUGHPUT_ROUNDS);
      const run = { rotations: 0, seconds: 0, cpuS: 0 };
      let rawRotations = 0;
      let rawSeconds = 0;
      for (let round = 0; round < THROUGHPUT_ROUNDS; round += 1) {
        const dir = await temp(`throughput-${kind}`);
        const [part] = await rotateFleet(kind, dir, target, { count: perRoundRotations, concurrency, prefix: `tp${Date.now()}r${round}`, rounds: 1 });
        await rm(dir, { recursive: true, force: true });
        run.rotations += part!.rotations;
        run.seconds += part!.seconds;
        run.cpuS += part!.cpuS;
        if (proxy && target) {
          const repeated = Array.from({ length: Math.ceil(perRoundRotations / COUNTED) }, () => first).flat();
          rawSeconds += await replay(new URL(target), repeated, concurrency);
          rawRotations += repeated.length / (recordedFirst / COUNTED);
        }
      }
      const rate = run.rotations / run.seconds;
      if (kind === 'vault') vaultSeconds = (run.seconds * rotations) / run.rotations;
      let raw = '';
      let ratio = '';
      if (rawRotations > 0) {
        const rawRate = rawRotations / rawSeconds;
        raw = `${rawRate.toFixed(1)} rotations/s`;
        ratio = `${((100 * rate) / rawRate).toFixed(0)} %`;
      }
      row({
        N: String(rotations),
        what: `${kind}: first rotations at concurrency ${concurrency}`,
        wall: s(run.seconds),
        CPU: `${((1000 * run.cpuS) / run.rotations).toFixed(1)} ms/rotation`,
        'round trips / rotation': perRound.join('; '),
        'rotations/s': rate.toFixed(1),
        'raw rate': raw,
        ratio,
      });
      console.log(`  ${kind} measured`);
    }
  }

  if (parts.has('incident')) {
    await serversUp();
    const n = Number(process.env.BENCH_INCIDENT ?? '2000');
    const sharded = process.env.BENCH_INCIDENT_SHARDING !== '0';
    const byReplicas = new Map<number, { seconds: number; cpu: number; calls: number }>();
    for (const replicas of (process.env.BENCH_INCIDENT_REPLICAS ?? '1,3').split(',').map(Number)) {
      const dir = await temp(`incident-${replicas}`);
      // A fresh OpenBao for each run: one that holds the previous run's fleet answers more slowly.
      const own = await startBenchServers();
      const run = await incidentFleet(dir, own.vault.address, { count: n, concurrency, replicas, prefix: `inc${Date.now()}r${replicas}`, sharded }).finally(
        own.stop,
      );
      await rm(dir, { recursive: true, force: true });
      byReplicas.set(replicas, { seconds: run.seconds, cpu: run.cpuMsPerRotation, calls: run.storeCallsPerRotation });
      const one = byReplicas.get(1);
      row({
        N: String(n),
        what: `incident over every policy (random, vault), ${replicas} replica(s) in one process at concurrency ${concurrency} each, ${sharded ? 'sharded' : 'not sharded'}: request (${s(run.requestSeconds)} to record) to last completion; duplicated ${run.duplicated}, lost ${run.lost}`,
        wall: s(run.seconds),
        CPU: `${run.cpuMsPerRotation.toFixed(1)} ms/rotation`,
        'round trips / rotation': `${run.storeCallsPerRotation.toFixed(1)} store calls`,
        'rotations/s': (n / run.seconds).toFixed(1),
        ratio:
          one && replicas !== 1
            ? `time ${(run.seconds / one.seconds).toFixed(2)}×, CPU ${(run.cpuMsPerRotation / one.cpu).toFixed(2)}×, calls ${(run.storeCallsPerRotation / one.calls).toFixed(2)}× of 1 replica`
            : '',
      });
      console.log(`  incident with ${replicas} replica(s) measured`);
    }
    for (const size of (process.env.BENCH_LEAK_SIZES ?? '1000,10000').split(',').map(Number)) {
      const dir = await temp(`leak-${size}`);
      const leak = await leakToProviderCall(dir, size);
      await rm(dir, { recursive: true, force: true });
      row({
        N: String(size),
        what: 'leak report (value) to the provider call of the policy holding it (file store): with the credential index; reading every policy',
        wall: `${leak.indexedMs.toFixed(1)} ms; ${leak.scannedMs.toFixed(1)} ms`,
      });
      row({
        N: String(size),
        what: 'leak report by HasMySecretLeaked hash (GitGuardian) to its match (file store): the first report (every credential hashed); the next',
        wall: `${(leak.hmslFirstMs / 1000).toFixed(2)} s; ${leak.hmslAgainMs.toFixed(1)} ms`,
      });
      console.log(`  leak with ${size} policies measured`);
    }
  }

  if (parts.has('shell')) {
    const up = await serversUp();
    const shellSeconds = await shellBaseline(up.vault, rotations);
    if (vaultSeconds === undefined) {
      const dir = await temp('shell-rotad');
      vaultSeconds = (await rotateFleet('vault', dir, up.vault.address, { count: rotations, concurrency, prefix: `sh${Date.now()}`, rounds: 1 }))[0]!.seconds;
      await rm(dir, { recursive: true, force: true });
    }
    row({
      N: String(rotations),
      what: 'shell: openssl rand + bao kv put per secret, vs rotad on OpenBao',
      wall: s(shellSeconds),
      'rotations/s': (rotations / shellSeconds).toFixed(1),
      ratio: `rotad ${(shellSeconds / vaultSeconds).toFixed(1)}× faster`,
    });
    console.log('  shell baseline measured');
  }
} finally {
  servers?.stop();
}

if (parts.has('databases')) {
  const n = Number(process.env.BENCH_DB_ROTATIONS ?? '200');
  for (const kind of ['postgres', 'mysql'] as const) {
    const { rotad, rawPerS } = await databaseThroughput(kind, n, concurrency);
    const rate = rotad.rotations / rotad.seconds;
    row({
      N: String(n),
      what: `${kind} (single-user, TLS verify-full, file store): SIGUSR2 rotations at concurrency ${concurrency}, vs the same logins and password changes sent raw`,
      wall: s(rotad.seconds),
      CPU: `${((1000 * rotad.cpuS) / rotad.rotations).toFixed(1)} ms/rotation`,
      'round trips / rotation': `${rotad.storeCallsPerRotation.toFixed(1)} store calls; 5 logins, 2 password changes`,
      'rotations/s': rate.toFixed(1),
      'raw rate': `${rawPerS.toFixed(1)} rotations/s`,
      ratio: `${((100 * rate) / rawPerS).toFixed(0)} %`,
    });
    console.log(`  ${kind} measured`);
  }
}

if (parts.has('memory')) {
  const memory = await memoryOverRotations(20, 100);
  const first = memory.samples[0]!;
  const last = memory.samples.at(-1)!;
  const peak = Math.max(...memory.samples.map((m) => m.heapMb));
  row({
    N: String(memory.rotations),
    what: `memory over consecutive rotations (file store, 20 policies): heap after GC at ${first.rotations} → ${last.rotations} rotations (peak ${peak.toFixed(1)} MB)`,
    RSS: `${first.rssMb.toFixed(0)} → ${last.rssMb.toFixed(0)} MB`,
    CPU: '',
    wall: `${first.heapMb.toFixed(1)} → ${last.heapMb.toFixed(1)} MB`,
  });
  console.log(`  memory measured (${memory.samples.map((m) => m.heapMb.toFixed(1)).join(', ')} MB heap)`);
}

const widths = HEAD.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
const used = HEAD.map((_, i) => rows.slice(1).some((r) => r[i] !== ''));
for (const r of rows)
  console.log(
    r
      .filter((_, i) => used[i])
      .map((cell, i) => cell.padEnd(widths.filter((_, j) => used[j])[i]!))
      .join('  ')
      .trimEnd(),
  );
