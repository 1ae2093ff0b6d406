import { RotadError } from '../../src/errors.js';
import type { Consumer } from '../../src/consumers/types.js';
import type { Provider } from '../../src/providers/types.js';
import { Secret } from '../../src/secret.js';
import type { Store, StoredCredential } from '../../src/stores/types.js';
import type { MemoryStore } from './memory-store.js';
import type { IoFaults, World } from './world.js';

/** Who made a side effect: the lease holder name the engine writes, and the world's actor. */
export interface Caller {
  actor: string;
  owner: string;
}

/** Every side effect calls this first, with the policy it touches: the one-writer check; `violation` records any other broken rule. */
export type SideEffectCheck = ((caller: Caller, policy: string, what: string) => void) & {
  violation: (message: string) => void;
  /** Whether the store holds `value` for the policy (pending, current or previous). */
  recorded: (policy: string, value: string) => boolean;
};

export const providerFaults = (rate: number): IoFaults => ({
  fail: rate,
  timeout: rate / 2,
  error: () => new RotadError('PROVIDER_UNAVAILABLE', 'provider answered 503', { retryable: true }),
});

/**
 * A SaaS with a token API, as a ledger: every token ever created, by whom, whether its creator saw
 * the answer, and whether it was revoked. Like the documented providers, it has no idempotency
 * key: each create makes a new token.
 */
export class Ledger {
  readonly tokens = new Map<string, { rotationId: string; policy: string; creator: string; answered: boolean; revoked: boolean }>();
  #count = 0;

  create(policy: string, rotationId: string, creator: string): string {
    this.#count += 1;
    const value = `sim-token-${this.#count}-${policy}`;
    this.tokens.set(value, { rotationId, policy, creator, answered: false, revoked: false });
    return value;
  }
}

/** The provider one actor talks to: every call goes over the world's network to the shared ledger. */
export function simProvider(
  world: World,
  caller: Caller,
  ledger: Ledger,
  faultRate: () => number,
  check: SideEffectCheck,
  deliveries: readonly Delivery[] = [],
): Provider {
  return {
    steps: { obtain: 'create a token', verify: 'read with it', revoke: 'delete it' },
    obtain: (ctx) => {
      let created: string | undefined;
      return world
        .io(
          caller.actor,
          `provider.create(${ctx.policy})`,
          async () => {
            check(caller, ctx.policy, 'provider.create');
            created = ledger.create(ctx.policy, ctx.rotationId, caller.actor);
            return created;
          },
          providerFaults(faultRate()),
        )
        .then((value) => {
          const token = ledger.tokens.get(value);
          if (token) token.answered = true;
          return { value: new Secret(value), id: value };
        });
    },
    verify: (ctx, credential) =>
      world.io(
        caller.actor,
        `provider.verify(${ctx.policy})`,
        async () => {
          const token = ledger.tokens.get(credential.value.reveal());
          if (!token || token.revoked) throw new RotadError('VERIFY_FAILED', 'the provider does not accept this token');
        },
        providerFaults(faultRate()),
      ),
    revoke: (ctx, credential) =>
      world.io(
        caller.actor,
        `provider.revoke(${ctx.policy})`,
        async () => {
          // Revoking a credential the store never held touches nothing shared: any actor may.
          if (check.recorded(ctx.policy, credential.value.reveal())) check(caller, ctx.policy, 'provider.revoke');
          // Revoke on evidence: no consumer may still have this credential as the last one it confirmed.
          const holder = stillHeldBy(deliveries, ctx.policy, credential.value.reveal());
          if (holder) check.violation(`the credential consumer ${holder} of ${ctx.policy} last confirmed was revoked`);
          const token = ledger.tokens.get(credential.value.reveal());
          if (token) token.revoked = true;
        },
        providerFaults(faultRate()),
      ),
    isRejected: (ctx, credential) =>
      world.io(
        caller.actor,
        `provider.check(${ctx.policy})`,
        async () => ledger.tokens.get(credential.value.reveal())?.revoked ?? true,
        providerFaults(faultRate()),
      ),
  };
}

/** The consumer of `policy` whose last confirmed credential is `value`, if any. */
function stillHeldBy(deliveries: readonly Delivery[], policy: string, value: string): string | undefined {
  const last = new Map<string, string>();
  for (const d of deliveries) if (d.policy === policy) last.set(d.consumer, d.value);
  return [...last].find(([, held]) => held === value)?.[0];
}

/** What one consumer was handed, in order. */
export interface Delivery {
  policy: string;
  consumer: string;
  value: string;
  actor: string;
  at: number;
}

/** A consumer (an app's reload hook): records each delivery, after checking it is the store's current value. */
export function simConsumer(
  world: World,
  caller: Caller,
  label: string,
  deliveries: Delivery[],
  store: MemoryStore,
  faultRate: () => number,
  check: SideEffectCheck,
  readyAt: () => number = () => 0,
): Consumer {
  return {
    label,
    update: (ctx, credential: StoredCredential) =>
      world.io(
        caller.actor,
        `consumer.${label}(${ctx.policy})`,
        async () => {
          check(caller, ctx.policy, `consumer.${label}`);
          // A workload still rolling out: it answers, but has not taken the credential yet.
          if (world.now < readyAt()) throw new RotadError('CONSUMER_FAILED', `consumer ${label}: rollout not finished`, { retryable: true });
          const value = credential.value.reveal();
          const current = store.entry(ctx.policy).current?.value.reveal();
          if (current !== value) check.violation(`consumer ${label} of ${ctx.policy} was handed a value that is not the store's current one`);
          deliveries.push({ policy: ctx.policy, consumer: label, value, actor: caller.actor, at: world.now });
        },
        providerFaults(faultRate()),
      ),
  };
}

const STORE_CHANGES = new Set(['stagePending', 'discardPending', 'promote', 'rollback', 'markPreviousRevoked']);

/** The store as one actor sees it: every call crosses the world's network, and may fail or time out. */
export function storeOver(world: World, caller: Caller, store: MemoryStore, faultRate: () => number, check: SideEffectCheck): Store {
  const call = <T>(op: string, policy: string, run: () => Promise<T>): Promise<T> =>
    world.io(
      caller.actor,
      `store.${op}(${policy})`,
      async () => {
        if (STORE_CHANGES.has(op) && !store.down) check(caller, policy, `store.${op}`);
        return run();
      },
      { fail: faultRate(), timeout: faultRate() / 2, error: () => new RotadError('STORE_UNREACHABLE', 'store did not answer', { retryable: true }) },
    );
  return {
    read: (ref) => call('read', ref.name, () => store.read(ref)),
    writeState: (ref, state, revision) => call('writeState', ref.name, () => store.writeState(ref, state, revision)),
    stagePending: (ref, credential) => call('stagePending', ref.name, () => store.stagePending(ref, credential)),
    discardPending: (ref, id) => call('discardPending', ref.name, () => store.discardPending(ref, id)),
    promote: (ref, id) => call('promote', ref.name, () => store.promote(ref, id)),
    rollback: (ref) => call('rollback', ref.name, () => store.rollback(ref)),
    markPreviousRevoked: (ref, id, at) => call('markPreviousRevoked', ref.name, () => store.markPreviousRevoked(ref, id, at)),
    readHistory: (ref) => call('readHistory', ref.name, () => store.readHistory(ref)),
    fileHistory: (ref, entries, keep) => call('fileHistory', ref.name, () => store.fileHistory(ref, entries, keep)),
    readRoster: () => call('readRoster', '-', () => store.readRoster()),
    updateRoster: (change) => call('updateRoster', '-', () => store.updateRoster(change)),
    ping: () => call('ping', '-', () => store.ping()),
    close: async () => undefined,
  };
}
