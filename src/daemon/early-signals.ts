/**
 * Signals that arrive while the process is still loading. Node dies of an unhandled SIGUSR2 (and
 * SIGHUP), and loading rotad's modules takes a few hundred milliseconds: a `docker kill -s USR2`
 * or a replica signalled right after its start would kill it. The entry point installs these
 * first, before any other module loads; the daemon takes what they caught and replaces them.
 * This module imports nothing, so it is loaded at once.
 */
export const DAEMON_SIGNALS = ['SIGHUP', 'SIGUSR2', 'SIGTERM', 'SIGINT'] as const;

const caught: string[] = [];
const listeners = new Map<string, () => void>();

export function bufferSignals(): void {
  for (const signal of DAEMON_SIGNALS) {
    const listener = (): void => {
      caught.push(signal);
    };
    listeners.set(signal, listener);
    process.on(signal, listener);
  }
}

/** Removes the early listeners (call after installing the real ones) and returns what they caught, in order. */
export function takeBufferedSignals(): string[] {
  for (const [signal, listener] of listeners) process.off(signal, listener);
  listeners.clear();
  return caught.splice(0);
}
