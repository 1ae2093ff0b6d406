import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * One full garbage collection: after a large config is parsed, once the daemon has started, and
 * after a reload. Reading the config and the first pass over every policy allocate several times
 * what the daemon keeps (at 10,000 policies the YAML parse alone grows the heap by some 120 MB
 * that is garbage a second later), and V8 keeps the memory it grew to until a full collection,
 * which an idle daemon may not run for a long time. Node offers `gc` only with --expose-gc: the flag is turned on just long
 * enough for a fresh context to get the function.
 */
export function compactHeap(): void {
  let gc: unknown;
  try {
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc');
  } catch {
    return; // a runtime without the flag: nothing to do, the heap shrinks in its own time
  } finally {
    setFlagsFromString('--no-expose-gc');
  }
  if (typeof gc === 'function') gc();
}
