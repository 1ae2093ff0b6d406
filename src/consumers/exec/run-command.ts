import { spawn } from 'node:child_process';
import { RotadError } from '../../errors.js';
import { scrub } from '../../secret.js';

/** The variables a hook inherits from the daemon; nothing else (the daemon's env may hold store tokens). */
const INHERITED_ENV = ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR'];
const OUTPUT_LIMIT = 4096;

interface CommandRun {
  argv: readonly string[];
  env: Record<string, string>;
  stdin: string;
  timeoutMs: number;
  /** Working directory: the config file's directory, so relative arguments mean the same everywhere. */
  cwd: string;
  /** Stops the command (SIGTERM, then SIGKILL) when it aborts: the step lost the policy's lease. */
  signal?: AbortSignal | undefined;
}

interface CommandResult {
  stdout: string;
  stderr: string;
}

function baseEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of INHERITED_ENV) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  return env;
}

/** Runs argv without a shell; resolves on exit 0, rejects with CONSUMER_FAILED otherwise. Output is scrubbed. */
export function runCommand(run: CommandRun): Promise<CommandResult> {
  const [file, ...args] = run.argv;
  return new Promise((resolvePromise, reject) => {
    const child = spawn(file ?? '', args, { cwd: run.cwd, env: { ...baseEnv(), ...run.env }, stdio: ['pipe', 'pipe', 'pipe'], shell: false });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    let stopped = false;
    child.stdout.on('data', (chunk: Buffer) => {
      stdout = (stdout + chunk.toString()).slice(-OUTPUT_LIMIT);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-OUTPUT_LIMIT);
    });
    child.stdin.on('error', () => undefined); // a command that does not read stdin closes it early
    const stop = (): void => {
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 2000).unref();
    };
    const timer = setTimeout(() => {
      timedOut = true;
      stop();
    }, run.timeoutMs);
    const onAbort = (): void => {
      stopped = true;
      stop();
    };
    if (run.signal?.aborted) onAbort();
    else run.signal?.addEventListener('abort', onAbort, { once: true });
    child.on('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      const retryable = error.code !== 'ENOENT' && error.code !== 'EACCES';
      reject(new RotadError('CONSUMER_FAILED', `cannot run ${file}: ${error.code ?? error.message}`, { retryable }));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      run.signal?.removeEventListener('abort', onAbort);
      const result = { stdout: scrub(stdout), stderr: scrub(stderr) };
      if (code === 0) return resolvePromise(result);
      const how = timedOut
        ? `timed out after ${run.timeoutMs} ms`
        : stopped
          ? 'was stopped: this rotad no longer holds the policy'
          : signal
            ? `was killed by ${signal}`
            : `exited with code ${code}`;
      const tail = result.stderr.trim().split('\n').slice(-3).join(' | ');
      reject(new RotadError('CONSUMER_FAILED', `command ${file} ${how}${tail ? `: ${tail}` : ''}`, { retryable: true }));
    });
    child.stdin.end(run.stdin);
  });
}
