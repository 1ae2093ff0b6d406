import type { PolicyStatus } from '../control/status.js';
import { followProgress, type ProgressSummary } from '../control/progress.js';
import { out } from './output.js';

const BAR_WIDTH = 24;

/**
 * `rotad rotate --wait`: follows the requested rotations until each is done or failed (or a person
 * is still asked and Ctrl-C ends the wait; the rotations go on). On a terminal: one progress line
 * redrawn in place; piped: a JSON line per change and a summary at the end. Exit 1 if any failed.
 */
export async function waitForRotations(
  read: (names: readonly string[]) => Promise<PolicyStatus[]>,
  before: ReadonlyMap<string, PolicyStatus>,
  stream: NodeJS.WriteStream = process.stdout,
  sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
): Promise<number> {
  const started = Date.now();
  const terminal = stream.isTTY === true;
  const { summary, states } = await followProgress({
    read,
    before,
    sleep,
    onChange: (policy, progress) => {
      if (!terminal) out.line(JSON.stringify({ policy, progress, at: new Date().toISOString() }));
    },
    onPass: (pass) => {
      if (terminal) stream.write(`\r${progressLine(pass)}\u001b[K`);
    },
  });
  if (terminal) stream.write('\n');
  else out.line(JSON.stringify({ summary: summary.counts, seconds: Math.round((Date.now() - started) / 1000) }));
  const failed = [...states].filter(([, state]) => state === 'failed').map(([policy]) => policy);
  if (failed.length > 0) out.error(`rotad: ${failed.length} rotation(s) failed: ${failed.join(', ')}; see rotad status`);
  return failed.length > 0 ? 1 : 0;
}

/** `[#########---------------] 9/24 done · 3 rotating · 1 waiting for a person · 0 failed · about 12 s left` */
function progressLine({ total, counts, estimateSeconds }: ProgressSummary): string {
  const filled = total === 0 ? BAR_WIDTH : Math.round(((counts.done + counts.failed) / total) * BAR_WIDTH);
  const bar = `[${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}]`;
  const parts = [
    `${counts.done}/${total} done`,
    `${counts.rotating + counts.queued} rotating`,
    `${counts['waiting-for-person']} waiting for a person`,
    `${counts.failed} failed`,
  ];
  if (estimateSeconds !== undefined) parts.push(`about ${estimateSeconds} s left`);
  return `${bar} ${parts.join(' · ')}`;
}
