import { durationMs } from '../duration-text.js';
import type { Problem } from './issues.js';
import type { RotadConfig } from './schema.js';

/** Each heartbeat is a store read per replica: more often than this is load for nothing. */
const MIN_HEARTBEAT_MS = 1_000;

/** Store types whose data several daemons share, and that keep a replica roster. */
const SHARED_STORE_TYPES = ['vault', 'aws-secrets-manager'];

/** The store named by `daemon.sharding.store`, else `defaults.store`, else the only store. */
export function shardingStoreName(config: RotadConfig): string | undefined {
  const names = Object.keys(config.stores);
  return config.daemon.sharding?.store ?? config.defaults.store ?? (names.length === 1 ? names[0] : undefined);
}

/** `daemon.sharding` needs a store that every replica reaches: not the file store, which serves one daemon. */
export const shardingStoreShared = (config: RotadConfig): Problem[] => {
  if (config.daemon.sharding === undefined) return [];
  if (durationMs(config.daemon.sharding.heartbeat) < MIN_HEARTBEAT_MS)
    return [
      {
        path: ['daemon', 'sharding', 'heartbeat'],
        message: `daemon.sharding.heartbeat: ${config.daemon.sharding.heartbeat} is too short: each replica reads the roster this often; use at least 1s (default 2s)`,
      },
    ];
  const path = ['daemon', 'sharding', 'store'];
  const name = shardingStoreName(config);
  const shared = Object.entries(config.stores).filter(([, o]) => SHARED_STORE_TYPES.includes(o.type));
  const choices = shared.length === 0 ? 'none is defined' : `choose one of: ${shared.map(([n]) => n).join(', ')}`;
  if (name === undefined) return [{ path, message: `daemon.sharding.store: name the store that keeps the replica roster (${choices})` }];
  const store = config.stores[name];
  if (store === undefined) return [{ path, message: `daemon.sharding.store: store '${name}' is not defined under stores (${choices})` }];
  if (!SHARED_STORE_TYPES.includes(store.type))
    return [
      {
        path,
        message: `daemon.sharding.store: store '${name}' is of type ${store.type}, which serves one daemon; the roster needs a store every replica reaches (vault or aws-secrets-manager; ${choices})`,
      },
    ];
  return [];
};
