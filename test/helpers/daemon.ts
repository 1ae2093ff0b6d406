import { spawn, type ChildProcess } from 'node:child_process';
import { expect } from 'vitest';
import { CLI, ROOT } from './paths.js';

/** Everything any child process printed during this test file, for the secret-hygiene checks. */
export const capturedOutput: string[] = [];

export type LogEntry = Record<string, unknown> & { msg?: string };

function parseLine(line: string): LogEntry | undefined {
  try {
    return JSON.parse(line) as LogEntry;
  } catch {
    return undefined;
  }
}

/** `rotad run` as a child process, with its JSON log lines collected. */
export class DaemonProcess {
  readonly child: ChildProcess;
  readonly lines: string[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  #waiters: Array<() => void> = [];

  private constructor(configPath: string, env: Record<string, string>) {
    this.child = spawn(process.execPath, [CLI, 'run', '--config', configPath], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const collect = (chunk: Buffer): void => {
      const text = chunk.toString();
      capturedOutput.push(text);
      this.lines.push(...text.split('\n').filter((l) => l.trim() !== ''));
      for (const wake of this.#waiters.splice(0)) wake();
    };
    this.child.stdout?.on('data', collect);
    this.child.stderr?.on('data', collect);
    this.exited = new Promise((resolve) =>
      this.child.on('exit', (code, signal) => {
        for (const wake of this.#waiters.splice(0)) wake();
        resolve({ code, signal });
      }),
    );
  }

  static start(configPath: string, env: Record<string, string> = {}): DaemonProcess {
    return new DaemonProcess(configPath, env);
  }

  get entries(): LogEntry[] {
    return this.lines.map(parseLine).filter((e): e is LogEntry => e !== undefined);
  }

  /** Resolves with the first log entry (from the start) that matches; fails after `timeoutMs`. */
  async waitFor(match: (entry: LogEntry) => boolean, timeoutMs = 15_000, skip = 0): Promise<LogEntry> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.entries.filter(match)[skip];
      if (found) return found;
      if (this.child.exitCode !== null || this.child.signalCode !== null)
        throw new Error(`daemon exited before the expected log line:\n${this.lines.join('\n')}`);
      if (Date.now() > deadline) throw new Error(`timed out waiting for a log line:\n${this.lines.join('\n')}`);
      await new Promise<void>((resolve) => {
        this.#waiters.push(resolve);
        setTimeout(resolve, 200);
      });
    }
  }

  waitForMessage(msg: string, extra: (entry: LogEntry) => boolean = () => true, timeoutMs?: number, skip = 0): Promise<LogEntry> {
    return this.waitFor((e) => e.msg === msg && extra(e), timeoutMs, skip);
  }

  signal(name: NodeJS.Signals): void {
    this.child.kill(name);
  }

  async stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    return this.exited;
  }
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a one-shot `rotad` command; its output is captured for the hygiene checks too. */
export function runCli(args: string[], env: Record<string, string> = {}, input?: string): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    if (input !== undefined) child.stdin?.end(input);
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr?.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    child.on('close', (code) => {
      capturedOutput.push(stdout, stderr);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Secret hygiene: no secret value the test used appears in anything a child process printed. */
export function expectNoSecretsInOutput(secrets: readonly string[]): void {
  expect(secrets.length).toBeGreaterThan(0);
  const all = capturedOutput.join('\n');
  expect(all.length).toBeGreaterThan(0);
  for (const secret of secrets) expect(all.includes(secret), 'a secret value appeared in captured output').toBe(false);
}
