import { readFile } from 'node:fs/promises';
import { configHash } from '../config/load.js';

/**
 * Reads the config file every `intervalMs` and calls `onChange` when its content differs from the
 * running config's (`runningHash`). Polling the path, rather than a file watch, follows a
 * Kubernetes ConfigMap mount, where an update swaps a symlink and the file's inode changes. A
 * content seen once is not reported again, so an invalid file is rejected once, not every tick.
 */
export function watchConfigFile(path: string, intervalMs: number, runningHash: () => string, onChange: () => void): { stop(): void } {
  let seen = runningHash();
  let reading = false;
  const timer = setInterval(() => {
    if (reading) return;
    reading = true;
    readFile(path, 'utf8')
      .then(
        (text) => {
          const hash = configHash(text);
          if (hash !== seen && hash !== runningHash()) onChange();
          seen = hash;
        },
        () => undefined, // a file that is briefly missing (mid-swap) is read again at the next tick
      )
      .finally(() => {
        reading = false;
      });
  }, intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
