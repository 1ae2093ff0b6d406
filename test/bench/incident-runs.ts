import { createHmac, randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { systemClock } from '../../src/clock.js';
import { parseConfig } from '../../src/config/load.js';
import { handleLeak } from '../../src/control/leaks.js';
import { hmslHash } from '../../src/vendors/gitguardian.js';
import { requestRotations } from '../../src/control/request-rotation.js';
import { CredentialIndex } from '../../src/credential-index.js';
import type { PolicyRuntime } from '../../src/rotation/context.js';
import type { Secret } from '../../src/secret.js';
import { silentLogger } from '../../src/observability/logger.js';
import { Metrics } from '../../src/observability/metrics.js';
import { Scheduler } from '../../src/scheduler/scheduler.js';
import { buildRuntime, type Runtime } from '../../src/wiring/runtime.js';
import { replicaRoster } from '../../src/daemon/sharding.js';

export interface IncidentRun {
  policies: number;
  replicas: number;
  /** From the incident request to the last rotation's completion. */
  seconds: number;
  /** Recording the request in every policy's state (part of `seconds`). */
  requestSeconds: number;
  /** CPU of this process (every replica) per rotation, in ms. */
  cpuMsPerRotation: number;
  /** Store calls per incident rotation, all replicas together (the request's writes included). */
  storeCallsPerRotation: number;
  /** Policies whose history shows the incident served more than once, or never. */
  duplicated: number;
  lost: number;
}

/**
 * An incident over `count` new `random` policies on one Vault (OpenBao), served by `replicas`
 * daemons (the real scheduler and engine, each with its own adapters and lease holder, sharing
 * the store as replicas on several machines would; here in one process on this machine's cores).
 * Every policy first makes its first credential; then one `rotad rotate --all --incident` is
 * recorded and every replica woken. Measured: time from the request to the last completion, CPU
 * and store calls per rotation; checked from each policy's history: every policy served the
 * incident exactly once.
 */
export async function incidentFleet(
  dir: string,
  endpoint: string,
  options: { count: number; concurrency: number; replicas: number; prefix: string; sharded: boolean },
): Promise<IncidentRun> {
  const { count, concurrency, replicas, prefix, sharded } = options;
  await mkdir(join(dir, 'state'), { recursive: true, mode: 0o700 });
  const names = Array.from({ length: count }, (_, i) => `${prefix}-${i}`);
  const yaml = `version: 1
daemon: { stateDir: ${dir}/state, concurrency: ${concurrency}, health: { enabled: false }, watchConfig: 0s }
stores:
  s: { type: vault, address: "${endpoint}", auth: { method: token, tokenEnv: BENCH_VAULT_TOKEN } }
notifiers:
  log: { type: log, events: [needs-attention] }
defaults: { store: s, grace: 1h }
policies:
${names.map((name) => `  - { name: ${name}, provider: { type: random, length: 32 }, schedule: { every: 30d } }`).join('\n')}
`;
  const path = join(dir, `${prefix}.yaml`);
  await writeFile(path, yaml);
  const config = parseConfig(yaml, path);
  const metrics = Array.from({ length: replicas }, () => new Metrics());
  const runtimes: Runtime[] = metrics.map((m, i) =>
    buildRuntime(config, { logger: silentLogger(), clock: systemClock, metrics: m, owner: `bench-replica-${i}` }),
  );
  const storeCalls = async (): Promise<number> => {
    let sum = 0;
    for (const m of metrics) sum += (await m.registry.getSingleMetric('rotad_store_requests_total')!.get()).values.reduce((n, v) => n + v.value, 0);
    return sum;
  };
  const completed = new Set<string>();
  let waiting: { until: number; resolve: () => void } | undefined;
  // daemon.sharding, as the daemon builds it: each replica serves its share of the fleet.
  const schedulers: Scheduler[] = [];
  const rosters = runtimes.map((runtime, i) =>
    sharded
      ? replicaRoster({ storeName: 's', heartbeatMs: 2_000 }, { runtime }, `bench-replica-${i}`, silentLogger(), metrics[i]!, () => void schedulers[i]!.wake())
      : undefined,
  );
  schedulers.push(
    ...runtimes.map(
      (runtime, i) =>
        new Scheduler(runtime.policies, {
          concurrency,
          clock: systemClock,
          logger: silentLogger(),
          shard: rosters[i],
          onOutcome: (policy, outcome) => {
            if (outcome.status !== 'completed') return;
            completed.add(policy);
            if (waiting && completed.size >= waiting.until) waiting.resolve();
          },
        }),
    ),
  );
  const allCompleted = (): Promise<void> =>
    new Promise((resolve) => {
      if (completed.size >= count) return resolve();
      waiting = { until: count, resolve };
    });
  try {
    for (const roster of rosters) await roster?.join();
    await new Promise((r) => setTimeout(r, 2_100)); // every replica has read the full roster
    for (const scheduler of schedulers) scheduler.start();
    await allCompleted();
    completed.clear();
    const callsBefore = await storeCalls();
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    const reason = `bench incident ${prefix}`;
    await requestRotations(config, [...runtimes[0]!.policies.values()], false, Date.now(), { reason, actor: 'bench' });
    const requestSeconds = (performance.now() - started) / 1000;
    // As the API does after a request for many policies: its replica passes over its share and asks
    // the others through the roster (sharded); unsharded, every replica is woken at once.
    if (sharded) void schedulers[0]!.wakeFleet();
    else for (const scheduler of schedulers) void scheduler.wake();
    await allCompleted();
    const seconds = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    const calls = (await storeCalls()) - callsBefore;
    let duplicated = 0;
    let lost = 0;
    for (const policy of runtimes[0]!.policies.values()) {
      const { state } = await policy.store.read(policy.ref);
      const served = state.history.filter((h) => h.incident === reason).length;
      if (served > 1) duplicated += 1;
      if (served === 0 || state.incident !== undefined) lost += 1;
    }
    return {
      policies: count,
      replicas,
      seconds,
      requestSeconds,
      cpuMsPerRotation: (cpu.user + cpu.system) / 1e3 / count,
      storeCallsPerRotation: calls / count,
      duplicated,
      lost,
    };
  } finally {
    await Promise.all(schedulers.map((s) => s.stop(10_000)));
    await Promise.all(rosters.map((r) => r?.leave()));
    await Promise.all(runtimes.map((r) => r.close()));
  }
}

/**
 * A leak report to the matching policy's provider call, on a fleet of `count` `random` policies
 * (file store): every policy makes its first credential, then the current value of one is
 * reported, as POST /v1/leaks does it (match, incident recorded, that policy woken first), and the
 * time to the provider's obtain call for it is measured: with the daemon's credential index, and
 * with every policy read (what the index saves); then a report by HasMySecretLeaked hash (GitGuardian),
 * the first and a second one.
 */
export async function leakToProviderCall(
  dir: string,
  count: number,
): Promise<{ indexedMs: number; scannedMs: number; hmslFirstMs: number; hmslAgainMs: number }> {
  await mkdir(join(dir, 'state'), { recursive: true, mode: 0o700 });
  const yaml = `version: 1
daemon: { stateDir: ${dir}/state, concurrency: 16, health: { enabled: false }, watchConfig: 0s }
stores:
  s: { type: file, path: ${dir}/state/secrets.enc, key: { file: ${dir}/state/store.key, generate: true } }
notifiers:
  log: { type: log, events: [needs-attention] }
defaults: { store: s, grace: 0s }
policies:
${Array.from({ length: count }, (_, i) => `  - { name: leak-${i}, provider: { type: random, length: 32 }, schedule: { every: 30d } }`).join('\n')}
`;
  const path = join(dir, 'leak.yaml');
  await writeFile(path, yaml);
  const config = parseConfig(yaml, path);
  const runtime = buildRuntime(config, { logger: silentLogger(), clock: systemClock });
  const key = randomBytes(32);
  const fingerprint = (value: Secret): string => createHmac('sha256', key).update(value.reveal()).digest('hex').slice(0, 16);
  const index = new CredentialIndex(fingerprint);
  let completed = 0;
  let allDone: () => void = () => undefined;
  const firstDone = new Promise<void>((resolve) => (allDone = resolve));
  const scheduler = new Scheduler(runtime.policies, {
    concurrency: 16,
    clock: systemClock,
    logger: silentLogger(),
    observeSnapshot: (policy, snapshot) => index.note(policy, [snapshot.current, snapshot.pending, snapshot.previous]),
    onOutcome: (_policy, outcome) => {
      if (outcome.status === 'completed' && ++completed === count) allDone();
    },
  });
  const policies = [...runtime.policies.values()];
  const measure = async (target: PolicyRuntime, candidates: ((fp: string) => readonly string[]) | undefined): Promise<number> => {
    const { current } = await target.store.read(target.ref);
    const provider = target.provider as { obtain: NonNullable<PolicyRuntime['provider']['obtain']> };
    const obtain = provider.obtain.bind(provider);
    let reached: () => void = () => undefined;
    const called = new Promise<void>((resolve) => (reached = resolve));
    provider.obtain = async (...args) => {
      reached();
      return obtain(...args);
    };
    const started = performance.now();
    await handleLeak(policies, fingerprint, { value: current!.value, source: 'bench' }, Date.now(), candidates);
    void scheduler.wake([target.name]);
    await called;
    const ms = performance.now() - started;
    provider.obtain = obtain;
    return ms;
  };
  try {
    scheduler.start();
    await firstDone;
    await new Promise((r) => setTimeout(r, 2_000)); // every completed policy looked at once more (and indexed)
    const indexedMs = await measure(policies[Math.floor(count / 2)]!, (fp) => index.policiesWith(fp));
    const scannedMs = await measure(policies[Math.floor(count / 3)]!, undefined);
    // A GitGuardian incident names the value by its HasMySecretLeaked hash: every credential is hashed
    // at the first report (no index can help), and the hashes are kept for the next.
    const byHash = async (target: PolicyRuntime): Promise<number> => {
      const { current } = await target.store.read(target.ref);
      const started = performance.now();
      const outcome = await handleLeak(policies, fingerprint, { hmslHash: await hmslHash(current!.value), source: 'bench' }, Date.now());
      if (outcome.matches.length !== 1) throw new Error(`the hash matched ${outcome.matches.length} credentials`);
      return performance.now() - started;
    };
    const hmslFirstMs = await byHash(policies[Math.floor(count / 4)]!);
    const hmslAgainMs = await byHash(policies[Math.floor(count / 5)]!);
    return { indexedMs, scannedMs, hmslFirstMs, hmslAgainMs };
  } finally {
    await scheduler.stop(10_000);
    await runtime.close();
  }
}
