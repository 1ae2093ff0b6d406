import type { AdapterDeps } from '../adapters/definition.js';
import type { Peers } from '../consumers/types.js';
import { RotadError } from '../errors.js';
import type { Clock } from '../clock.js';
import type { ResolvedConfig, ResolvedPolicy } from '../config/normalize.js';
import { consumerRegistry } from '../consumers/registry.js';
import { notifierRegistry } from '../notifiers/registry.js';
import type { Notifier } from '../notifiers/types.js';
import type { Logger } from '../observability/logger.js';
import { providerRegistry } from '../providers/registry.js';
import { PROVIDER_OPERATIONS, type Provider } from '../providers/types.js';
import type { FaultHook, PolicyRuntime } from '../rotation/context.js';
import { leftByOtherDaemon, newLeaseOwner } from '../rotation/lease.js';
import type { AuditTrail } from '../observability/audit.js';
import { meter } from '../observability/metered.js';
import type { Metrics } from '../observability/metrics.js';
import { NotificationRouter } from '../notifiers/router.js';
import { storeRegistry } from '../stores/registry.js';
import { pacedProvider, providerSlots } from './provider-limits.js';
import { STORE_OPERATIONS, type Store } from '../stores/types.js';

/** Looks up `type` in a registry and builds the adapter; the config schema already checked both. */
function build<I>(registry: Record<string, { create(options: never, deps: AdapterDeps): I }>, options: { type: string }, deps: AdapterDeps): I {
  const definition = registry[options.type];
  if (!definition) throw new Error(`no adapter registered for type ${options.type}`);
  return definition.create(options as never, deps);
}

/** The policy's provider; its registered `assisted` (which config resolution used) must be what the instance does. */
function buildProvider(policy: ResolvedPolicy, deps: AdapterDeps): Provider {
  const provider = build<Provider>(providerRegistry, policy.provider, deps);
  const registered = providerRegistry[policy.provider.type].assisted;
  if (registered !== (provider.assisted !== undefined))
    throw new Error(
      `provider type ${policy.provider.type} is registered with assisted: ${registered}, but its instance ${registered ? 'has no' : 'has'} assisted steps`,
    );
  return provider;
}

/** A policy's config as loaded, adapter options included (the engine's `settings` leave them out). */
export function policyConfig(runtime: Pick<Runtime, 'config'>, name: string): ResolvedPolicy {
  const found = runtime.config.policies.find((policy) => policy.name === name);
  if (!found) throw new RotadError('POLICY_NOT_FOUND', `no policy named '${name}'`);
  return found;
}

/** Every adapter instance of one loaded config, built once. */
export interface Runtime {
  config: ResolvedConfig;
  stores: ReadonlyMap<string, Store>;
  policies: ReadonlyMap<string, PolicyRuntime>;
  /** Closes every store, even if one fails. Idempotent. */
  close(): Promise<void>;
}

interface RuntimeOptions {
  logger: Logger;
  clock: Clock;
  faults?: FaultHook | undefined;
  /** The daemon's metrics; stores and providers are counted when set. */
  metrics?: Metrics | undefined;
  audit?: AuditTrail | undefined;
  /** This process as a lease holder; default: a new daemon holder name. */
  owner?: string | undefined;
  /** The daemon, which holds each file store's one-daemon claim: another daemon's lease there is left over. */
  claimsFileStores?: boolean | undefined;
}

export function buildRuntime(config: ResolvedConfig, options: RuntimeOptions): Runtime {
  const deps: AdapterDeps = { logger: options.logger, clock: options.clock, configDir: config.dir };
  const { metrics } = options;
  const stores = new Map<string, Store>(
    Object.entries(config.stores).map(([name, o]) => {
      const store = build<Store>(storeRegistry, o, deps);
      return [name, metrics ? meter(store, STORE_OPERATIONS, (op, outcome) => metrics.storeRequest(name, op, outcome)) : store];
    }),
  );
  const router = new NotificationRouter(
    new Map(Object.entries(config.notifiers).map(([name, o]) => [name, { notifier: build<Notifier>(notifierRegistry, o, deps), events: o.events }])),
    { clock: options.clock, logger: options.logger, onOutcome: (name, outcome) => metrics?.notification(name, outcome) },
  );

  const owner = options.owner ?? newLeaseOwner();
  const policies = new Map<string, PolicyRuntime>();
  const peers: Peers = {
    policy: async (name) => {
      const other = policies.get(name);
      if (!other) throw new RotadError('POLICY_NOT_FOUND', `no policy named '${name}'`);
      const snapshot = await other.store.read(other.ref);
      return { credential: snapshot.current, provider: policyConfig({ config }, name).provider };
    },
    store: (name) => {
      const store = stores.get(name);
      if (!store) throw new RotadError('CONFIG_INVALID', `no store named '${name}'`);
      return store;
    },
  };

  const policyRuntime = (policy: ResolvedPolicy): PolicyRuntime => {
    const logger = options.logger.child({ policy: policy.name });
    const store = stores.get(policy.storeName);
    if (!store) throw new Error(`policy ${policy.name} names unknown store ${policy.storeName}`);
    return {
      name: policy.name,
      ref: { name: policy.name, ...policy.secret },
      settings: policy,
      store,
      provider: metered(pacedProvider(buildProvider(policy, { ...deps, logger }), policy.provider.type, config.daemon.providerLimits, options.clock), policy),
      providerSlots: providerSlots(policy.provider.type, config.daemon.providerLimits),
      consumers: policy.consumers.map((o, index) => ({ key: `${index}:${o.type}`, consumer: build(consumerRegistry, o, { ...deps, logger }) })),
      peers,
      notify: router.forPolicy(policy.name, policy.notify, policy.escalate),
      logger,
      clock: options.clock,
      retry: config.daemon.retry,
      faults: options.faults,
      audit: options.audit,
      handoverUrl: config.daemon.api?.publicUrl,
      configPath: config.path,
      owner,
      leftOverLease: options.claimsFileStores && config.stores[policy.storeName]?.type === 'file' ? leftByOtherDaemon(owner) : undefined,
      leaseMs: config.daemon.leaseMs,
      historyKeep: config.daemon.historyKeep,
      unstaged: {},
    };
  };
  const metered = (provider: Provider, policy: ResolvedPolicy): Provider =>
    metrics ? meter(provider, PROVIDER_OPERATIONS, (op, outcome) => metrics.providerRequest(policy.name, policy.provider.type, op, outcome)) : provider;

  for (const policy of config.policies) policies.set(policy.name, policyRuntime(policy));
  let closed: Promise<void> | undefined;
  return {
    config,
    stores,
    policies,
    close: () => {
      closed ??= Promise.allSettled([router.close(2000), ...[...stores.values()].map((s) => s.close())]).then(() => undefined);
      return closed;
    },
  };
}
