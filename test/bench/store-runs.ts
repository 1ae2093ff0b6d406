import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { systemClock } from '../../src/clock.js';
import { parseConfig } from '../../src/config/load.js';
import { silentLogger } from '../../src/observability/logger.js';
import { Metrics } from '../../src/observability/metrics.js';
import { buildRuntime } from '../../src/wiring/runtime.js';
import { Scheduler } from '../../src/scheduler/scheduler.js';
import { requestRotations } from '../../src/control/request-rotation.js';

export type StoreKind = 'file' | 'vault' | 'aws-secrets-manager';

export interface RotationRun {
  rotations: number;
  seconds: number;
  /** CPU seconds of this process (rotad's engine, scheduler and store client) over the run. */
  cpuS: number;
  /** Store operations (read, writeState, stagePending, promote, …) per rotation, as the engine called them. */
  storeCallsPerRotation: number;
}

function storeYaml(kind: StoreKind, dir: string, endpoint: string | undefined): string {
  if (kind === 'vault') return `{ type: vault, address: "${endpoint}", auth: { method: token, tokenEnv: BENCH_VAULT_TOKEN } }`;
  if (kind === 'aws-secrets-manager') return `{ type: aws-secrets-manager, endpoint: "${endpoint}", region: eu-central-1 }`;
  return `{ type: file, path: ${dir}/state/secrets.enc, key: { file: ${dir}/state/store.key, generate: true } }`;
}

/**
 * `count` new `random` policies (no consumers, grace 0) on one store, driven by the real scheduler
 * and engine in this process at `concurrency`, as a daemon would: round 1 is every policy's first
 * rotation (due at start), each later round one SIGUSR2 rotation of every policy (or a
 * `rotad rotate --all` request, `later: 'request'`). Per round: wall
 * time from its start to its last completion, this process's CPU, and store operations;
 * `onRound` runs after each round (the caller reads its counters there).
 */
export async function rotateFleet(
  kind: StoreKind,
  dir: string,
  endpoint: string | undefined,
  options: {
    count: number;
    concurrency: number;
    prefix: string;
    rounds: number;
    later?: 'signal' | 'request';
    onRound?: (round: number, run: RotationRun) => void;
    /** The provider of policy `i` (YAML flow mapping); default a random one. */
    provider?: (i: number) => string;
  },
): Promise<RotationRun[]> {
  const { count, concurrency, prefix } = options;
  await mkdir(join(dir, 'state'), { recursive: true, mode: 0o700 });
  const names = Array.from({ length: count }, (_, i) => `${prefix}-${i}`);
  const yaml = `version: 1
daemon: { stateDir: ${dir}/state, concurrency: ${concurrency}, health: { enabled: false }, watchConfig: 0s }
stores:
  s: ${storeYaml(kind, dir, endpoint)}
notifiers:
  log: { type: log, events: [needs-attention] }
defaults: { store: s, grace: 0s }
policies:
${names.map((name, i) => `  - { name: ${name}, provider: ${options.provider?.(i) ?? '{ type: random, length: 32 }'}, schedule: { every: 30d }, rotateOnSignal: true }`).join('\n')}
`;
  const path = join(dir, `${prefix}.yaml`);
  await writeFile(path, yaml);
  const metrics = new Metrics();
  const runtime = buildRuntime(parseConfig(yaml, path), { logger: silentLogger(), clock: systemClock, metrics });
  const storeCalls = async (): Promise<number> =>
    (await metrics.registry.getSingleMetric('rotad_store_requests_total')!.get()).values.reduce((sum, v) => sum + v.value, 0);
  let done = 0;
  const failures: string[] = [];
  let roundDone: () => void = () => undefined;
  const scheduler = new Scheduler(runtime.policies, {
    concurrency,
    clock: systemClock,
    logger: silentLogger(),
    onOutcome: (policy, outcome) => {
      if (outcome.status !== 'completed') failures.push(`${policy}: ${JSON.stringify(outcome)}`);
      done += 1;
      if (done === count) roundDone();
    },
  });
  const runs: RotationRun[] = [];
  try {
    for (let round = 1; round <= options.rounds; round += 1) {
      done = 0;
      const finished = new Promise<void>((resolve) => {
        roundDone = resolve;
      });
      const callsBefore = await storeCalls();
      const cpuBefore = process.cpuUsage();
      const started = performance.now();
      if (round === 1) scheduler.start();
      else if (options.later === 'request') {
        // `rotad rotate --all`: a request recorded in each policy's state (a signal within 10 s of the last is served by it).
        await requestRotations(runtime.config, [...runtime.policies.values()], false, Date.now());
        void scheduler.wake();
      } else scheduler.signalRotation();
      await finished;
      const seconds = (performance.now() - started) / 1000;
      const cpu = process.cpuUsage(cpuBefore);
      if (failures.length > 0) throw new Error(`${kind}: ${failures.length} rotations did not complete, e.g. ${failures[0]}`);
      const run = { rotations: count, seconds, cpuS: (cpu.user + cpu.system) / 1e6, storeCallsPerRotation: ((await storeCalls()) - callsBefore) / count };
      runs.push(run);
      options.onRound?.(round, run);
    }
  } finally {
    await scheduler.stop(10_000);
    await runtime.close();
  }
  return runs;
}
