import { AsyncLocalStorage } from 'node:async_hooks';

const current = new AsyncLocalStorage<AbortSignal>();

/**
 * Runs `call` with `signal` as the signal of every store request it makes. A store's methods take
 * no signal of their own; the engine's guard hands the step's this way (it aborts when the lease
 * is lost or runs out), and the Vault and Secrets Manager clients read it for each request.
 */
export function withCallSignal<T>(signal: AbortSignal, call: () => Promise<T>): Promise<T> {
  return current.run(signal, call);
}

/** The signal of the call under way, if a guard set one. */
export function callSignal(): AbortSignal | undefined {
  return current.getStore();
}
