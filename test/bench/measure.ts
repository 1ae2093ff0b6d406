import { execFile, spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';

const CLI = new URL('../../../../dist/cli/main.js', import.meta.url).pathname;

export interface Run {
  wallS: number;
  cpuS: number;
  rssMb: number;
}

/** Runs one rotad command under /usr/bin/time: wall seconds, CPU seconds (user + system), peak RSS. */
export async function timeCommand(args: string[]): Promise<Run> {
  const { stderr } = await promisify(execFile)('/usr/bin/time', ['-f', 'TIME %e %U %S %M', process.execPath, CLI, ...args], { maxBuffer: 256 * 1024 * 1024 });
  const [wall, user, system, rssKb] = /TIME (\S+) (\S+) (\S+) (\S+)/.exec(stderr)!.slice(1).map(Number) as [number, number, number, number];
  return { wallS: wall, cpuS: user + system, rssMb: rssKb / 1024 };
}

/** CPU seconds a process has used so far (utime + stime from /proc). */
async function cpuSeconds(pid: number): Promise<number> {
  const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function rssMb(pid: number): Promise<number> {
  const line = (await readFile(`/proc/${pid}/status`, 'utf8')).split('\n').find((l) => l.startsWith('VmRSS:'))!;
  return Number(/\d+/.exec(line)![0]) / 1024;
}

export interface DaemonRun {
  readyS: number;
  idleCpuPercent: number;
  rssMb: number;
  signalToStartMs: number;
}

/**
 * Starts `rotad run`, times it to "rotad started" plus its first look (the health port's /readyz
 * answers), samples its CPU while idle for `idleS` seconds, then sends SIGUSR2 and times the first
 * "Rotation started" of the policy with rotateOnSignal (the random provider's call follows at once).
 */
export async function measureDaemon(config: string, idleS: number): Promise<DaemonRun> {
  const started = Date.now();
  const child = spawn(process.execPath, [CLI, 'run', '--config', config], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const seen: Array<{ at: number; line: string }> = [];
  const onData = (chunk: Buffer): void => {
    output += chunk.toString();
    let newline;
    while ((newline = output.indexOf('\n')) >= 0) {
      seen.push({ at: Date.now(), line: output.slice(0, newline) });
      output = output.slice(newline + 1);
    }
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const waitLine = async (match: (line: string) => boolean, timeoutMs: number): Promise<number> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = seen.find((s) => match(s.line));
      if (found) return found.at;
      if (Date.now() > deadline || child.exitCode !== null)
        throw new Error(
          `daemon: no such line in time; last lines:\n${seen
            .slice(-5)
            .map((s) => s.line)
            .join('\n')}`,
        );
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  };
  try {
    const portLine = await waitLine((l) => l.includes('"msg":"Health endpoints listening"'), 600_000);
    const port = (JSON.parse(seen.find((s) => s.line.includes('Health endpoints listening'))!.line) as { port: number }).port;
    void portLine;
    for (;;) {
      const ready = await fetch(`http://127.0.0.1:${port}/readyz`).then(
        (r) => r.status === 200,
        () => false,
      );
      if (ready) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const readyS = (Date.now() - started) / 1000;
    // Idle: let the first look over every policy finish, then sample.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const cpuBefore = await cpuSeconds(child.pid!);
    const idleFrom = Date.now();
    await new Promise((resolve) => setTimeout(resolve, idleS * 1000));
    const idleCpuPercent = (((await cpuSeconds(child.pid!)) - cpuBefore) / ((Date.now() - idleFrom) / 1000)) * 100;
    const memory = await rssMb(child.pid!);
    const signalledAt = Date.now();
    child.kill('SIGUSR2');
    const rotationAt = await waitLine((l) => l.includes('"trigger":"signal"') && l.includes('"msg":"Rotation started"'), 600_000);
    return { readyS, idleCpuPercent, rssMb: memory, signalToStartMs: rotationAt - signalledAt };
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
  }
}
