import type { Server } from 'node:http';
import { unlink } from 'node:fs/promises';
import { resolve } from 'node:path';
import { claimFileStore } from '../stores/file/daemon-claim.js';
import { systemClock } from '../clock.js';
import { loadConfig } from '../config/load.js';
import type { ResolvedConfig } from '../config/normalize.js';
import { ConfigError, describeError, isRetryable, RotadError } from '../errors.js';
import { AuditTrail } from '../observability/audit.js';
import { startHealthServer } from '../observability/health.js';
import { startApiServer } from '../api/server.js';
import { Metrics } from '../observability/metrics.js';
import type { Logger } from '../observability/logger.js';
import { buildRuntime, type Runtime } from '../runtime.js';
import { newLeaseOwner } from '../rotation/lease.js';
import { Scheduler } from '../scheduler/scheduler.js';
import { DAEMON_SIGNALS, takeBufferedSignals } from './early-signals.js';
import { faultHookFromEnv } from './faults.js';
import { watchConfigFile } from './config-watch.js';
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

/** Why a port of the daemon (`daemon.health`, `daemon.api`) could not be opened, naming the setting to change. */
function listenFailure(setting: string, host: string, port: number, error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE')
    return `${setting}.port ${port} on ${host} is already in use (EADDRINUSE): another process (another rotad?) listens there; stop it, or set ${setting}.port to a free port`;
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

/**
 * `rotad run`: the long-running daemon. Signal handlers are installed before anything else
 * (an unhandled SIGUSR2 would kill node). Returns the exit code once it has stopped.
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
  let runtime = buildRuntime(config, { logger, clock: systemClock, faults, metrics, audit, owner });
  // What a failed start undoes, last first: it leaves no pid file and no claim behind (a later
  // `rotad rotate` must not signal whatever reuses the pid; another daemon must not wait on a claim).
  const undo: Array<() => Promise<unknown>> = [() => runtime.close()];
  const cannotStart = async (error: unknown, message?: string): Promise<number> => {
    logger.fatal({ error: message === undefined ? describeError(error) : { message } }, 'Cannot start');
    for (const step of undo.reverse()) await step().catch(() => undefined);
    return 1;
  };
  try {
    // The file store is on this machine: if it cannot be used, a person must act, so the start fails.
    await pingAll(runtime, (name) => config.stores[name]?.type === 'file');
    await writePidFile(config.daemon.stateDir);
  } catch (error) {
    return cannotStart(error);
  }
  undo.push(() => removePidFile(config.daemon.stateDir));
  // The file store serves one daemon: a second one (a replica on a shared volume) is refused here.
  const claims: Array<{ release(): Promise<void> }> = [];
  const releaseClaims = async (): Promise<void> => {
    await Promise.all(claims.splice(0).map((c) => c.release()));
  };
  undo.push(releaseClaims);
  try {
    for (const options of Object.values(config.stores)) {
      if (options.type === 'file') claims.push(await claimFileStore(resolve(config.dir, options.path), owner));
    }
    await pingAll(runtime, (name) => config.stores[name]?.type !== 'file');
  } catch (error) {
    // A network store that is down for now is waited for: not ready, retried with backoff (a crash
    // loop helps nobody). One that needs a person (wrong credentials, no permission, corrupt) stops the start.
    if (!isRetryable(error)) return cannotStart(error);
    logger.error({ error: describeError(error) }, 'A store is unreachable at start; running, not ready, and retrying');
  }

  const scheduler = new Scheduler(runtime, { concurrency: config.daemon.concurrency, clock: systemClock, logger, metrics, rescanMs: config.daemon.rescanMs });
  let health: Server | undefined;
  if (config.daemon.health.enabled) {
    const { host, port } = config.daemon.health;
    try {
      const started = await startHealthServer(host, port, {
        ready: () => pingAll(scheduler.runtime),
        metrics: async () => ({ contentType: metrics.contentType, body: await metrics.render() }),
      });
      health = started.server;
      logger.info({ port: started.port }, 'Health endpoints listening');
    } catch (error) {
      return cannotStart(error, listenFailure('daemon.health', host, port, error));
    }
  }

  // The control API and hand-over page serve the config and adapters of the moment (a reload swaps them).
  let api: { close(): Promise<void> } | undefined;
  if (config.daemon.api) {
    const { host, port } = config.daemon.api;
    try {
      const started = await startApiServer(config.daemon.api, {
        config: () => config,
        runtime: () => scheduler.runtime,
        wake: (first) => void scheduler.wake(first),
        audit,
        logger,
      });
      api = started;
      undo.push(() => started.close());
      logger.info(
        {
          port: started.port,
          tls: config.daemon.api.tls !== undefined,
          tokens: config.daemon.api.tokens.map((t) => t.name),
          handoverLinks: config.daemon.api.publicUrl !== undefined,
        },
        'Control API listening',
      );
    } catch (error) {
      health?.close();
      return cannotStart(error, error instanceof RotadError ? undefined : listenFailure('daemon.api', host, port, error));
    }
  }

  let stopping: Promise<number> | undefined;
  const stop = async (signal: string): Promise<number> => {
    logger.info({ signal, inFlight: scheduler.inFlight }, 'Shutting down');
    watcher?.stop();
    const drained = await scheduler.stop(config.daemon.shutdownTimeoutMs);
    if (!drained) logger.warn('In-flight rotations did not reach a safe point in time; they resume on the next start');
    health?.close();
    await api?.close();
    await scheduler.runtime.close();
    await audit.flush();
    await releaseClaims();
    await removePidFile(config.daemon.stateDir);
    logger.info('Stopped');
    return 0;
  };

  let watcher: { stop(): void } | undefined;
  const watch = (): void => {
    watcher?.stop();
    watcher =
      config.daemon.watchConfigMs > 0
        ? watchConfigFile(
            configPath,
            config.daemon.watchConfigMs,
            () => config.hash,
            () => void reload('config file changed'),
          )
        : undefined;
  };

  let reloading = Promise.resolve();
  const reload = (cause: string): Promise<void> => {
    reloading = reloading.then(async () => {
      logger.info({ cause }, 'Reloading configuration');
      try {
        const next = await loadConfig(configPath);
        const nextRuntime = buildRuntime(next, { logger, clock: systemClock, faults, metrics, audit, owner });
        await pingAll(nextRuntime);
        const old = runtime;
        runtime = nextRuntime;
        const watchChanged = next.daemon.watchConfigMs !== config.daemon.watchConfigMs;
        // The API's listener, tokens and certificates are set up once, at start.
        if (JSON.stringify(next.daemon.api) !== JSON.stringify(config.daemon.api))
          logger.warn('daemon.api changed: the control API keeps its listener, tokens and certificates until the next start');
        config = next;
        logger.level = next.daemon.logLevel;
        metrics.resetPolicies();
        metrics.configLoaded({ ok: true, hash: next.hash, at: Date.now() });
        scheduler.replaceRuntime(nextRuntime);
        void old.close();
        if (watchChanged) watch();
        logger.info({ hash: next.hash, policies: next.policies.length }, 'Configuration reloaded');
      } catch (error) {
        const problems = error instanceof ConfigError ? error.problems : [describeError(error).message];
        metrics.configLoaded({ ok: false });
        logger.error({ problems, runningHash: config.hash }, 'Configuration reload rejected, keeping the running configuration');
      }
    });
    return reloading;
  };

  let finished: (code: number) => void = () => undefined;
  const exited = new Promise<number>((resolve) => {
    finished = resolve;
  });
  handle = (signal) => {
    if (signal === 'SIGTERM' || signal === 'SIGINT') {
      if (stopping) {
        logger.warn({ signal }, 'Second stop signal, exiting now');
        finished(1);
        return;
      }
      stopping = stop(signal);
      void stopping.then(finished);
    } else if (stopping) {
      return;
    } else if (signal === 'SIGHUP') {
      void reload('SIGHUP');
    } else if (signal === 'SIGUSR2') {
      void consumeWakeMarker(config.daemon.stateDir).then((requestsOnly) => {
        if (requestsOnly) {
          logger.info('Rotation requests received');
          void scheduler.wake();
        } else {
          logger.info({ policies: scheduler.signalRotation() }, 'Rotation triggered by signal');
        }
      });
    }
  };

  logger.info({ config: config.path, hash: config.hash, policies: config.policies.length, pid: process.pid, owner }, 'rotad started');
  metrics.configLoaded({ ok: true, hash: config.hash, at: Date.now() });
  watch();
  scheduler.start();
  for (const signal of events.splice(0)) handle(signal);
  return exited;
}
