import { describeError } from '../errors.js';

type Count = (operation: string, outcome: string) => void;

// Knows no adapter kind: each contract names its own operations (STORE_OPERATIONS, PROVIDER_OPERATIONS).

/**
 * Wraps each named async method so that every call is counted as `ok` or by its error code. A
 * proxy, not a copy: an adapter written as a class keeps its prototype's methods (`takeHandover`,
 * `isRejected`, `close`), and every other member reads through to the adapter itself.
 */
export function meter<T extends object>(target: T, methods: readonly (keyof T & string)[], count: Count): T {
  const wrapped: Record<string, unknown> = {};
  for (const name of methods) {
    const method = target[name];
    if (typeof method !== 'function') continue;
    wrapped[name] = async (...args: unknown[]) => {
      try {
        const result: unknown = await (method as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        count(name, 'ok');
        return result;
      } catch (error) {
        count(name, describeError(error).code);
        throw error;
      }
    };
  }
  return new Proxy(target, {
    get(object, property) {
      if (typeof property === 'string' && Object.hasOwn(wrapped, property)) return wrapped[property];
      const value: unknown = Reflect.get(object, property, object);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(object) : value;
    },
  });
}
