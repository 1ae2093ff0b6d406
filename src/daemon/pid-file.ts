import { mkdir, readFile, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export function pidFilePath(stateDir: string): string {
  return join(stateDir, 'rotad.pid');
}

/** Path of the marker that tells a SIGUSR2 it came from `rotad rotate` (serve requests only). */
export function wakeFilePath(stateDir: string): string {
  return join(stateDir, 'rotad.wake');
}

export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Linux reports process start times in clock ticks of 1/100 s (USER_HZ) since boot. */
const TICKS_PER_SECOND = 100;
/** Boot time is given in whole seconds: allow that much rounding, and a little more. */
const START_TIME_SLACK_MS = 2_000;

/** When the process started (epoch ms), from /proc; undefined where /proc does not tell. */
async function processStartedAt(pid: number): Promise<number | undefined> {
  try {
    const [stat, system] = await Promise.all([readFile(`/proc/${pid}/stat`, 'utf8'), readFile('/proc/stat', 'utf8')]);
    // The command name (field 2) is in parentheses and may hold spaces: count fields after the last ')'.
    const ticks = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
    const bootSeconds = Number(/^btime (\d+)$/m.exec(system)?.[1]);
    if (!Number.isFinite(ticks) || !Number.isFinite(bootSeconds)) return undefined;
    return bootSeconds * 1000 + (ticks / TICKS_PER_SECOND) * 1000;
  } catch {
    return undefined;
  }
}

/** The arguments a process was started with, from /proc; undefined where /proc does not tell. */
async function processArguments(pid: number): Promise<string[] | undefined> {
  const text = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => undefined);
  return text?.split('\0').filter((arg) => arg !== '');
}

export type PidCheck =
  | { status: 'none' }
  | { status: 'running'; pid: number }
  /** The file names a live process that is not the daemon that wrote it (a reused pid, another program). */
  | { status: 'foreign'; pid: number; reason: string };

/**
 * Who the pid file of `stateDir` names. A pid is only taken for the daemon that wrote the file when
 * the process runs `rotad run` (its arguments include `run`) and started before the file was
 * written: a pid reused by another process after a crash fails the second test, anything not
 * rotad the first. Where /proc is missing (not Linux) a live pid is trusted as before.
 */
export async function checkPidFile(stateDir: string): Promise<PidCheck> {
  const path = pidFilePath(stateDir);
  const [text, info] = await Promise.all([readFile(path, 'utf8').catch(() => ''), stat(path).catch(() => undefined)]);
  const pid = Number(text.trim());
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid || !isProcessAlive(pid) || info === undefined) return { status: 'none' };
  const [args, startedAt] = await Promise.all([processArguments(pid), processStartedAt(pid)]);
  if (args === undefined && startedAt === undefined) return { status: 'running', pid };
  if (args !== undefined && !args.includes('run')) return { status: 'foreign', pid, reason: `pid ${pid} is '${args.slice(0, 3).join(' ')}', not rotad run` };
  if (startedAt !== undefined && startedAt > info.mtimeMs + START_TIME_SLACK_MS) {
    return { status: 'foreign', pid, reason: `pid ${pid} started after ${path} was written, so it is another process that reuses the pid` };
  }
  return { status: 'running', pid };
}

/** The pid of the daemon using `stateDir`, if one is running (see checkPidFile). */
export async function runningDaemonPid(stateDir: string): Promise<number | undefined> {
  const check = await checkPidFile(stateDir);
  return check.status === 'running' ? check.pid : undefined;
}

/** Claims the state dir for this process; refuses when another live daemon holds it. A stale file is replaced. */
export async function writePidFile(stateDir: string): Promise<void> {
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  const other = await runningDaemonPid(stateDir);
  if (other !== undefined) throw new Error(`another rotad (pid ${other}) is running with state directory ${stateDir}`);
  await writeFile(pidFilePath(stateDir), `${process.pid}\n`, { mode: 0o600 });
}

export async function removePidFile(stateDir: string): Promise<void> {
  const text = await readFile(pidFilePath(stateDir), 'utf8').catch(() => '');
  if (Number(text.trim()) === process.pid) await unlink(pidFilePath(stateDir)).catch(() => undefined);
}
