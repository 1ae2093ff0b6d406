import { spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DaemonProcess, runCli } from '../helpers/daemon.js';
import { ROOT } from '../helpers/paths.js';
import { tempDir, testConfig } from '../helpers/workspace.js';

const CLAIMER = `${ROOT}test/fixtures/claim-file-store.mjs`;

/** One claimer: resolves with its first answer ("claimed" or an error code) and, separately, when it has exited. */
function claimOnce(storePath: string, startAt: number, releaseFile: string): { answer: Promise<string>; exited: Promise<void> } {
  const child = spawn(process.execPath, [CLAIMER, storePath, String(startAt), releaseFile], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
  const answer = new Promise<string>((resolve) => {
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('\n')) resolve(out.trim());
    });
    child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('close', (code, signal) => resolve(out.trim() || `exit ${code} ${signal}`));
  });
  return { answer, exited };
}

describe('the file store at start: one daemon, no waiting on what only it can hold', () => {
  it('100 processes claiming one file store at the same instant: exactly one holds it', async () => {
    const dir = await tempDir();
    const storePath = join(dir, 'secrets.enc');
    const releaseFile = join(dir, 'release');
    // All claim at one instant, once every process has started (that takes seconds on two cores).
    // The one that holds it keeps it until every other has answered: a late starter on a loaded
    // machine cannot claim after a release.
    const startAt = Date.now() + 12_000;
    const claimers = Array.from({ length: 100 }, () => claimOnce(storePath, startAt, releaseFile));
    const answers = await Promise.all(claimers.map((c) => c.answer));
    await writeFile(releaseFile, '');
    await Promise.all(claimers.map((c) => c.exited));
    const counts = answers.reduce<Record<string, number>>((n, a) => ({ ...n, [a]: (n[a] ?? 0) + 1 }), {});
    expect(counts, JSON.stringify(answers.filter((a) => a !== 'STORE_BUSY' && a !== 'claimed'))).toEqual({ claimed: 1, STORE_BUSY: 99 });
  }, 120_000);

  it('starts beside a lock that cannot be read and is seconds old (an empty file, an older format): waits it out', async () => {
    const dir = await tempDir();
    const config = join(dir, 'rotad.yaml');
    await writeFile(config, testConfig(dir, [{ name: 'app' }]));
    expect((await runCli(['validate', '--config', config])).code).toBe(0);
    await mkdir(join(dir, 'state'), { recursive: true });
    await writeFile(join(dir, 'state', 'secrets.enc.lock'), '');
    const daemon = DaemonProcess.start(config);
    await daemon.waitForMessage('A file store is locked at start; waiting for its lock');
    await daemon.waitForMessage('rotad started', undefined, 20_000);
    await daemon.waitForMessage('Ready: every store answers');
    await daemon.waitForMessage('Rotation completed');
    expect((await daemon.stop()).code).toBe(0);
  }, 60_000);

  it('a daemon killed mid-rotation holding a 60 s lease: restarted, it resumes at once, not after the lease', async () => {
    const dir = await tempDir();
    const config = join(dir, 'rotad.yaml');
    await writeFile(config, testConfig(dir, [{ name: 'app' }]).replace('lease: 4s', 'lease: 60s'));
    const crashing = DaemonProcess.start(config, { ROTAD_TEST_KILL_AT: 'after:verify' });
    const started = await crashing.waitForMessage('Rotation started');
    expect((await crashing.exited).signal).toBe('SIGKILL');
    const restartedAt = Date.now();
    const resumed = DaemonProcess.start(config);
    await resumed.waitForMessage('Rotation completed', (e) => e.rotation === started.rotation, 20_000);
    const resumedLine = await resumed.waitForMessage('Rotation resumed', (e) => e.rotation === started.rotation);
    expect(String(resumedLine.from)).toMatch(/^daemon:/);
    const seconds = (Date.now() - restartedAt) / 1000;
    expect(seconds, 'resumed well before the dead daemon lease of 60 s ran out').toBeLessThan(20);
    expect((await resumed.stop()).code).toBe(0);
  }, 90_000);
});
