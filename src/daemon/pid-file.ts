import { mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
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

/** The pid of the daemon using `stateDir`, if one is running. */
export async function runningDaemonPid(stateDir: string): Promise<number | undefined> {
  const text = await readFile(pidFilePath(stateDir), 'utf8').catch(() => '');
  const pid = Number(text.trim());
  return Number.isInteger(pid) && pid > 0 && pid !== process.pid && isProcessAlive(pid) ? pid : undefined;
}

/** Claims the state dir for this process; refuses when another live daemon holds it. */
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
