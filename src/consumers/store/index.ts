import { namesDefined, type AdapterDefinition } from '../../adapters/definition.js';
import { RotadError } from '../../errors.js';
import type { Consumer } from '../types.js';
import { StoreConsumerOptions } from './schema.js';

/**
 * Writes the credential to a second store with that store's own stage + promote, keyed by the
 * same rotation id: repeating it is a no-op, and readers there never see a half-written value.
 */
function createStoreConsumer(options: StoreConsumerOptions): Consumer {
  return {
    label: `store ${options.store}${options.path ? ` ${options.path}` : ''}`,
    async check(ctx) {
      if (!ctx.peers) throw new RotadError('CONSUMER_FAILED', 'the store consumer needs the stores of the config');
      const store = ctx.peers.store(options.store);
      await store.ping();
      await store.read({ name: ctx.policy, path: options.path, field: options.field });
      return `store ${options.store} reachable, the policy's entry readable`;
    },
    async update(ctx, credential) {
      if (!ctx.peers) throw new RotadError('CONSUMER_FAILED', 'the store consumer needs the stores of the config');
      const store = ctx.peers.store(options.store);
      const ref = { name: ctx.policy, path: options.path, field: options.field, facts: ctx.facts };
      const snapshot = await store.read(ref);
      if (snapshot.current?.rotationId === credential.rotationId) return;
      if (snapshot.pending !== undefined && snapshot.pending.rotationId !== credential.rotationId) await store.discardPending(ref, snapshot.pending.rotationId);
      await store.stagePending(ref, { ...credential, revokedAt: undefined });
      await store.promote(ref, credential.rotationId);
      ctx.logger.info({ store: options.store }, 'Credential copied to the second store');
    },
  };
}

export const storeConsumer = {
  type: 'store',
  schema: StoreConsumerOptions,
  create: createStoreConsumer,
  rules: (options, { policy, stores }) => {
    if (!stores.includes(options.store))
      return [{ key: ['store'], message: `store '${options.store}' is not defined under stores (${namesDefined('stores', stores)})` }];
    if (options.store === policy.store && (options.path ?? policy.secretPath) === policy.secretPath)
      return [{ key: ['store'], message: "this is the policy's own store and path; name another store or path" }];
    return [];
  },
} satisfies AdapterDefinition<typeof StoreConsumerOptions, Consumer>;
