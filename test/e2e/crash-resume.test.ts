import { cp, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { PHASES } from '../../src/rotation/state.js';
import { DaemonProcess, expectNoSecretsInOutput, runCli } from '../helpers/daemon.js';
import { readPolicy, secretsOf } from '../helpers/store.js';
import { tempDir, writeConfig } from '../helpers/workspace.js';

const POLICY = 'crashy';
const FAULT_POINTS = PHASES.flatMap((phase) => [`before:${phase}`, `after:${phase}`]);
const secretsSeen: string[] = [];

/** A state directory holding one completed rotation: the "old" credential every case starts from. */
let seedDir: string;
beforeAll(async () => {
  seedDir = await tempDir();
  const config = await writeConfig(seedDir, [{ name: POLICY, recordTo: join(seedDir, 'consumer.log') }]);
  const daemon = DaemonProcess.start(config);
  await daemon.waitForMessage('Rotation completed');
  expect((await daemon.stop()).code).toBe(0);
});

describe('crash-resume: the daemon killed with SIGKILL at every phase boundary', () => {
  it.each(FAULT_POINTS)('%s: restarted, it finishes the same rotation; the credential is neither lost nor duplicated', async (faultPoint) => {
    const dir = await tempDir();
    await cp(join(seedDir, 'state'), join(dir, 'state'), { recursive: true });
    const consumerLog = join(dir, 'consumer.log');
    const config = await writeConfig(dir, [{ name: POLICY, recordTo: consumerLog }]);
    const before = await readPolicy(dir, POLICY);
    const old = before.current!.value.reveal();

    expect((await runCli(['rotate', POLICY, '--config', config])).code).toBe(0);
    const crashing = DaemonProcess.start(config, { ROTAD_TEST_KILL_AT: faultPoint });
    const started = await crashing.waitForMessage('Rotation started');
    expect((await crashing.exited).signal).toBe('SIGKILL');
    const rotationId = String(started.rotation);

    const atCrash = await readPolicy(dir, POLICY);
    expect(atCrash.state.phase, 'the crash left the rotation in progress').not.toBe('idle');
    expect(atCrash.state.rotationId).toBe(rotationId);
    // Invariant 1: at the crash, old and (if obtained) new are both recorded.
    expect([atCrash.current, atCrash.previous].some((c) => c?.value.reveal() === old)).toBe(true);

    const resumed = DaemonProcess.start(config);
    await resumed.waitForMessage('Rotation completed', (e) => e.rotation === rotationId);
    expect((await resumed.stop()).code).toBe(0);
    expect(resumed.entries.filter((e) => e.msg === 'Rotation started'), 'no second rotation was started').toHaveLength(0);

    const after = await readPolicy(dir, POLICY);
    expect(after.state.phase).toBe('idle');
    expect(after.state.lastRotationId).toBe(rotationId);
    expect(after.pending).toBeUndefined();
    expect(after.previous?.value.reveal()).toBe(old);
    const fresh = after.current!.value.reveal();
    expect(fresh).not.toBe(old);
    expect(after.current!.rotationId).toBe(rotationId);
    // No second credential: whatever was staged or promoted before the crash is what ends up current.
    const recordedAtCrash = [atCrash.pending, atCrash.current].find((c) => c?.rotationId === rotationId);
    if (recordedAtCrash) expect(fresh).toBe(recordedAtCrash.value.reveal());
    if (faultPoint !== 'before:obtain') expect(recordedAtCrash, 'the new credential was recorded before the crash').toBeDefined();

    // Consumers saw exactly one new credential for this rotation — the one now current.
    const handed = (await readFile(consumerLog, 'utf8')).trim().split('\n').map((line) => line.split(' '));
    expect(handed.length).toBeGreaterThanOrEqual(1);
    for (const [id, value] of handed) {
      expect(id).toBe(rotationId);
      expect(value).toBe(fresh);
    }
    secretsSeen.push(old, fresh, ...secretsOf(atCrash));
  });

  it('printed no secret in any of those runs', () => {
    expectNoSecretsInOutput(secretsSeen);
  });
});
