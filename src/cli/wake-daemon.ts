import { writeFile } from 'node:fs/promises';
import { checkPidFile, wakeFilePath } from '../daemon/pid-file.js';

/** How a CLI request reached the daemon, in words for the person who made it. */
export async function wakeDaemon(stateDir: string, now: number, served: string): Promise<{ notified: boolean; message: string }> {
  const check = await checkPidFile(stateDir);
  if (check.status === 'none') return { notified: false, message: `no running daemon found for state directory ${stateDir}: ${served} when rotad run starts` };
  if (check.status === 'foreign') {
    // Never signal a process that is not the daemon: SIGUSR2 kills most programs.
    return {
      notified: false,
      message: `not signalled: ${check.reason} (a stale pid file); ${served} at the daemon's next read of the policy (within daemon.rescanEvery, 15 minutes by default) or when rotad run starts`,
    };
  }
  await writeFile(wakeFilePath(stateDir), `${now}\n`, { mode: 0o600 });
  process.kill(check.pid, 'SIGUSR2');
  return { notified: true, message: `daemon (pid ${check.pid}) notified` };
}
