import { CredentialIndex } from '../credential-index.js';
import { FleetSnapshots } from '../control/fleet-snapshots.js';
import { warmHmslHashes } from '../control/hmsl-cache.js';
import type { Server } from 'node:http';
import { unlink } from 'node:fs/promises';
import { resolve } from 'node:path';
import { claimFileStore } from '../stores/file/daemon-claim.js';
import { systemClock } from '../clock.js';
import { loadConfig } from '../config/load.js';
import type { ResolvedConfig } from '../config/normalize.js';
import { compactHeap } from '../compact-heap.js';
import { ConfigError, describeError, isRetryable, RotadError } from '../errors.js';
import { AuditTrail } from '../observability/audit.js';
import { startHealthServer } from '../observability/health.js';
import { Metrics } from '../observability/metrics.js';
import type { Logger } from '../observability/logger.js';
import { buildRuntime, type Runtime } from '../wiring/runtime.js';
import { newLeaseOwner } from '../rotation/lease.js';
import { Scheduler } from '../scheduler/scheduler.js';
import type { ReplicaRoster } from '../scheduler/replica-roster.js';
import { replicaRoster } from './sharding.js';
import { DAEMON_SIGNALS, takeBufferedSignals } from './early-signals.js';
import { faultHookFromEnv } from './faults.js';
import { watchConfigFile } from './config-watch.js';
import { watchUntilReady } from './readiness-watch.js';
import { removePidFile, wakeFilePath, writePidFile } from './pid-file.js';

async function pingAll(runtime: Runtime, only: (name: string) => boolean = () => true): Promise<void> {
  for (const [name, store] of runtime.stores) {
    if (!only(name)) continue;
    try {
      await store.ping();
    } catch (error) {
      const message = `store ${name}: ${describeError(error).message}`;
      throw error instanceof RotadError
        ? new RotadError(error.code, message, { cause: error, retryable: error.retryable })
        : new Error(message, { cause: error });
    }
  }
}

/**
 * A file store locked at start (by a process finishing a write, or a lock of an older rotad that
 * counts as stale only after 10 s) is waited out this long, each try waiting 2 s for the lock,
 * before the start fails.
 */
const FILE_LOCK_WAIT_MS = 15_000;

async function pingFileStores(runtime: Runtime, config: ResolvedConfig, logger: Logger): Promise<void> {
  const deadline = Date.now() + FILE_LOCK_WAIT_MS;
  for (let waiting = false; ; waiting = true) {
    try {
      return await pingAll(runtime, (name) => config.stores[name]?.type === 'file');
    } catch (error) {
      if (!(error instanceof RotadError && error.code === 'STORE_BUSY') || Date.now() > deadline) throw error;
      if (!waiting) logger.warn({ error: describeError(error) }, 'A file store is locked at start; waiting for its lock');
    }
  }
}

/** Why a port of the daemon (`daemon.health`, `daemon.api`) could not be opened, naming the setting to change. */
function listenFailure(setting: string, host: string, port: number, error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE')
    return `${setting}.port ${port} on ${host} is already in use (EADDRINUSE): another process (another rotad?) listens there; stop it, or set ${setting}.port to a free port (the example configs read it from ${setting === 'daemon.api' ? 'ROTAD_API_PORT' : 'ROTAD_HEALTH_PORT'})`;
  if (code === 'EACCES') return `${setting}.port ${port} on ${host} may not be opened by this user (EACCES): use a port above 1023`;
  if (code === 'EADDRNOTAVAIL') return `${setting}.host ${host} is not an address of this machine (EADDRNOTAVAIL)`;
  return `cannot listen on ${setting} ${host}:${port}: ${describeError(error).message}`;
}

/** True when the SIGUSR2 came from `rotad rotate` (which leaves a marker): then only requests are served. */
async function consumeWakeMarker(stateDir: string): Promise<boolean> {
  return unlink(wakeFilePath(stateDir)).then(
    () => true,
    () => false,
  );
}

/** What a failed start undoes, last first: it leaves no pid file and no claim behind. */
class StartUndo {
  readonly #steps: Array<() => Promise<unknown>> = [];
  constructor(private readonly logger: Logger) {}

  push(step: () => Promise<unknown>): void {
    this.#steps.push(step);
  }

  /** Logs why the start failed, undoes what it did, and gives the exit code. */
  async fail(error: unknown, message?: string): Promise<number> {
    this.logger.fatal({ error: message === undefined ? describeError(error) : { message } }, 'Cannot start');
    for (const step of this.#steps.reverse()) await step().catch(() => undefined);
    return 1;
  }
}

/** Everything the daemon holds while it runs: built by `runDaemon`, torn down by `stop`. */
interface DaemonParts {
  configPath: string;
  config: ResolvedConfig;
  /** The adapters of the config of the moment: a reload swaps them. */
  live: { runtime: Runtime };
  scheduler: Scheduler;
  logger: Logger;
  metrics: Metrics;
  audit: AuditTrail;
  owner: string;
  faults: ReturnType<typeof faultHookFromEnv>;
  health: Server | undefined;
  api: { close(): Promise<void> } | undefined;
  releaseClaims: () => Promise<void>;
  /** Pings until ready, when the start found a store unreachable. */
  readiness: { stop(): void } | undefined;
  /** `daemon.sharding`: the replicas sharing the fleet. */
  roster: ReplicaRoster | undefined;
}

/**
 * The file store must be usable (it is on this machine: if not, a person must act), the pid file is
 * written, each file store is claimed (it serves one daemon), and network stores are pinged: one
 * that is down for now is waited for (not ready, retried with backoff; a crash loop helps nobody),
 * one that needs a person (wrong credentials, no permission, corrupt) stops the start.
 * Returns how to release the claims and, when a store did not answer, why; or the exit code of a failed start.
 */
async function openStores(
  config: ResolvedConfig,
  runtime: Runtime,
  owner: string,
  undo: StartUndo,
  logger: Logger,
): Promise<{ releaseClaims: () => Promise<void>; notReady?: unknown } | number> {
  try {
    await pingFileStores(runtime, config, logger);
    await writePidFile(config.daemon.stateDir);
  } catch (error) {
    return undo.fail(error);
  }
  undo.push(() => removePidFile(config.daemon.stateDir));
  const claims: Array<{ release(): Promise<void> }> = [];
  const releaseClaims = async (): Promise<void> => {
    await Promise.all(claims.splice(0).map((c) => c.release()));
  };
  undo.push(releaseClaims);
  try {
    // Held for the daemon's life: leases of other daemons on these stores are left over (lease.ts).
    for (const options of Object.values(config.stores)) {
      if (options.type === 'file') claims.push(await claimFileStore(resolve(config.dir, options.path), owner));
    }
  } catch (error) {
    return undo.fail(error);
  }
  try {
    await pingAll(runtime, (name) => config.stores[name]?.type !== 'file');
    // The file stores answered above: every store answers, as /readyz says now.
    logger.info({ stores: [...runtime.stores.keys()] }, 'Ready: every store answers');
  } catch (error) {
    if (!isRetryable(error)) return undo.fail(error);
    logger.error({ error: describeError(error) }, 'A store is unreachable at start; running, not ready, and retrying');
    return { releaseClaims, notReady: error };
  }
  return { releaseClaims };
}

/** The health port, when enabled: readiness pings the stores of the moment. Returns the server, or the exit code of a failed start. */
async function openHealth(
  config: ResolvedConfig,
  live: { runtime: Runtime },
  metrics: Metrics,
  undo: StartUndo,
  logger: Logger,
): Promise<Server | undefined | number> {
  if (!config.daemon.health.enabled) return undefined;
  const { host, port } = config.daemon.health;
  try {
    const started = await startHealthServer(host, port, {
      ready: () => pingAll(live.runtime),
      metrics: async () => ({ contentType: metrics.contentType, body: await metrics.render() }),
    });
    logger.info({ port: started.port }, 'Health endpoints listening');
    undo.push(async () => started.server.close());
    return started.server;
  } catch (error) {
    return undo.fail(error, listenFailure('daemon.health', host, port, error));
  }
}

/** The control API and hand-over page, when configured: they serve the config and adapters of the moment (a reload swaps them). */
async function openApi(
  config: () => ResolvedConfig,
  live: { runtime: Runtime },
  scheduler: Scheduler,
  { audit, credentials, fleet }: { audit: AuditTrail; credentials: CredentialIndex; fleet: FleetSnapshots },
  undo: StartUndo,
  logger: Logger,
): Promise<{ close(): Promise<void> } | undefined | number> {
  const options = config().daemon.api;
  if (!options) return undefined;
  const { host, port } = options;
  try {
    // Loaded only when configured: the web framework is the largest part of the daemon's memory otherwise.
    const { startApiServer } = await import('../api/server.js');
    const started = await startApiServer(options, {
      config,
      runtime: () => live.runtime,
      // A request for many policies: the other replicas (sharding) are asked for a pass too.
      wake: (first) => void (first === undefined ? scheduler.wakeFleet() : scheduler.wake(first)),
      audit,
      credentials,
      fleet,
      logger,
    });
    undo.push(() => started.close());
    logger.info(
      { port: started.port, tls: options.tls !== undefined, tokens: options.tokens.map((t) => t.name), handoverLinks: options.publicUrl !== undefined },
      'Control API listening',
    );
    return started;
  } catch (error) {
    return undo.fail(error, error instanceof RotadError ? undefined : listenFailure('daemon.api', host, port, error));
  }
}

/** The daemon once started: signals, reloads (SIGHUP, a changed file) and the orderly stop. */
class RunningDaemon {
  readonly #parts: DaemonParts;
  #watcher: { stop(): void } | undefined;
  #stopping: Promise<number> | undefined;
  #reloading = Promise.resolve();
  #finished: (code: number) => void = () => undefined;
  /** Resolves with the exit code once the daemon has stopped. */
  readonly exited = new Promise<number>((resolve) => {
    this.#finished = resolve;
  });

  constructor(parts: DaemonParts) {
    this.#parts = parts;
  }

  get config(): ResolvedConfig {
    return this.#parts.config;
  }

  handle(signal: string): void {
    const { logger, scheduler } = this.#parts;
    if (signal === 'SIGTERM' || signal === 'SIGINT') {
      if (this.#stopping) {
        logger.warn({ signal }, 'Second stop signal, exiting now');
        this.#finished(1);
        return;
      }
      this.#stopping = this.#stop(signal);
      void this.#stopping.then(this.#finished);
    } else if (this.#stopping) {
      return;
    } else if (signal === 'SIGHUP') {
      void this.reload('SIGHUP');
    } else if (signal === 'SIGUSR2') {
      void consumeWakeMarker(this.config.daemon.stateDir).then((requestsOnly) => {
        if (requestsOnly) {
          logger.info('Rotation requests received');
          void scheduler.wakeFleet();
        } else {
          logger.info({ policies: scheduler.signalRotation() }, 'Rotation triggered by signal');
        }
      });
    }
  }

  /** Watches the config file for changes (`daemon.watchConfig`), replacing an earlier watch. */
  watch(): void {
    this.#watcher?.stop();
    const { configPath } = this.#parts;
    const every = this.config.daemon.watchConfigMs;
    this.#watcher =
      every > 0
        ? watchConfigFile(
            configPath,
            every,
            () => this.config.hash,
            () => void this.reload('config file changed'),
          )
        : undefined;
  }

  /** Loads the config again; a valid one replaces the running one, an invalid one is refused and the running one kept. */
  reload(cause: string): Promise<void> {
    this.#reloading = this.#reloading.then(() => this.#reloadNow(cause));
    return this.#reloading;
  }

  async #reloadNow(cause: string): Promise<void> {
    const { logger, metrics, audit, owner, faults, configPath, scheduler } = this.#parts;
    const config = this.config;
    logger.info({ cause }, 'Reloading configuration');
    try {
      const next = await loadConfig(configPath);
      const nextRuntime = buildRuntime(next, { logger, clock: systemClock, faults, metrics, audit, owner, claimsFileStores: true });
      await pingAll(nextRuntime);
      const old = this.#parts.live.runtime;
      this.#parts.live.runtime = nextRuntime;
      const watchChanged = next.daemon.watchConfigMs !== config.daemon.watchConfigMs;
      // The API's listener, tokens and certificates are set up once, at start.
      if (JSON.stringify(next.daemon.api) !== JSON.stringify(config.daemon.api))
        logger.warn('daemon.api changed: the control API keeps its listener, tokens and certificates until the next start');
      this.#parts.config = next;
      logger.level = next.daemon.logLevel;
      metrics.resetPolicies();
      metrics.configLoaded({ ok: true, hash: next.hash, at: Date.now() });
      scheduler.replacePolicies(nextRuntime.policies);
      void old
        .close()
        .then(() => scheduler.settled())
        .then(compactHeap);
      if (watchChanged) this.watch();
      logger.info({ hash: next.hash, policies: next.policies.length }, 'Configuration reloaded');
    } catch (error) {
      const problems = error instanceof ConfigError ? error.problems : [describeError(error).message];
      metrics.configLoaded({ ok: false });
      logger.error({ problems, runningHash: config.hash }, 'Configuration reload rejected, keeping the running configuration');
    }
  }

  async #stop(signal: string): Promise<number> {
    const { logger, scheduler, health, api, audit, releaseClaims } = this.#parts;
    const inFlight = scheduler.inFlight;
    // Rotations between steps (in grace, waiting for a person) hold nothing: they resume on the next start.
    logger.info(
      { signal, inFlight },
      inFlight.length > 0 ? 'Shutting down: waiting for the steps in flight to reach a safe point' : 'Shutting down: no step in flight',
    );
    this.#watcher?.stop();
    this.#parts.readiness?.stop();
    const drained = await scheduler.stop(this.config.daemon.shutdownTimeoutMs);
    if (!drained) logger.warn('In-flight rotations did not reach a safe point in time; they resume on the next start');
    // Out of the roster: the other replicas take this one's policies at their next heartbeat.
    await this.#parts.roster?.leave();
    health?.close();
    await api?.close();
    await this.#parts.live.runtime.close();
    await audit.flush();
    await releaseClaims();
    await removePidFile(this.config.daemon.stateDir);
    logger.info('Stopped');
    return 0;
  }
}

/**
 * `rotad run`: the long-running daemon. Signal handlers are installed before anything else
 * (an unhandled SIGUSR2 would kill node); signals that come during the start are handled once it
 * has started. Returns the exit code once it has stopped.
 */
export async function runDaemon(configPath: string, logger: Logger): Promise<number> {
  const events: string[] = [];
  let handle: (signal: string) => void = (signal) => events.push(signal);
  for (const signal of DAEMON_SIGNALS) process.on(signal, () => handle(signal));
  events.push(...takeBufferedSignals());

  let config: ResolvedConfig;
  try {
    config = await loadConfig(configPath);
  } catch (error) {
    if (error instanceof ConfigError) logger.fatal({ problems: error.problems }, 'Configuration is invalid');
    else logger.fatal({ error: describeError(error) }, 'Configuration could not be loaded');
    return 2;
  }
  logger.level = config.daemon.logLevel;
  const faults = faultHookFromEnv(process.env);
  const metrics = new Metrics();
  let audit: AuditTrail;
  try {
    audit = await AuditTrail.open(logger, config.daemon.stateDir, config.daemon.auditFile);
  } catch (error) {
    logger.fatal({ error: describeError(error) }, 'Cannot start');
    return 1;
  }
  // One lease holder name for the whole process: a reload keeps working on what it holds.
  const owner = newLeaseOwner();
  const runtime = buildRuntime(config, { logger, clock: systemClock, faults, metrics, audit, owner, claimsFileStores: true });
  const undo = new StartUndo(logger);
  undo.push(() => runtime.close());
  const opened = await openStores(config, runtime, owner, undo, logger);
  if (typeof opened === 'number') return opened;
  const { releaseClaims } = opened;
  const live = { runtime };
  // Where each credential is, by fingerprint, as the scheduler reads the policies: leak reports look here first.
  const credentials = new CredentialIndex((value) => audit.fingerprint(value));
  // The latest read of each policy, for the dashboard.
  const fleet = new FleetSnapshots();
  const roster =
    config.daemon.sharding === undefined ? undefined : replicaRoster(config.daemon.sharding, live, owner, logger, metrics, () => void scheduler.wake());
  const scheduler: Scheduler = new Scheduler(runtime.policies, {
    concurrency: config.daemon.concurrency,
    clock: systemClock,
    logger,
    metrics,
    rescanMs: config.daemon.rescanMs,
    signalWindowMs: config.daemon.signalWindowMs,
    observeSnapshot: (policy, snapshot) => {
      credentials.note(policy, [snapshot.current, snapshot.pending, snapshot.previous]);
      fleet.note(policy, snapshot);
      // GitGuardian names a leak by its HasMySecretLeaked hash: made in the background, a report finds them ready.
      if (config.daemon.api?.gitguardian) warmHmslHashes(policy, [snapshot.current, snapshot.pending, snapshot.previous]);
    },
    shard: roster,
  });
  // The stores of the moment: a reload may swap them while it waits.
  const readiness = 'notReady' in opened ? watchUntilReady(() => pingAll(live.runtime), opened.notReady, logger) : undefined;
  undo.push(async () => readiness?.stop());
  const health = await openHealth(config, live, metrics, undo, logger);
  if (typeof health === 'number') return health;
  const parts: DaemonParts = {
    configPath,
    config,
    live,
    scheduler,
    logger,
    metrics,
    audit,
    owner,
    faults,
    health,
    api: undefined,
    releaseClaims,
    readiness,
    roster,
  };
  const api = await openApi(() => parts.config, live, scheduler, { audit, credentials, fleet }, undo, logger);
  if (typeof api === 'number') return api;
  parts.api = api;

  const daemon = new RunningDaemon(parts);
  handle = (signal) => daemon.handle(signal);
  logger.info({ config: config.path, hash: config.hash, policies: config.policies.length, pid: process.pid, owner }, 'rotad started');
  metrics.configLoaded({ ok: true, hash: config.hash, at: Date.now() });
  daemon.watch();
  // In the roster before the first pass, so that this replica reads only its share (bounded: a store down at start waits for nothing).
  if (roster) await Promise.race([roster.join(), new Promise((r) => setTimeout(r, config.daemon.sharding!.heartbeatMs * 5))]);
  scheduler.start();
  void scheduler.settled().then(compactHeap);
  for (const signal of events.splice(0)) handle(signal);
  return daemon.exited;
}
