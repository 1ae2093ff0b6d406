import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PHASES } from '../../src/policy-state.js';
import { DaemonProcess, expectNoSecretsInOutput, runCli } from './daemon.js';
import { openStore, STORE_KINDS } from './store-kinds.js';
import { tempDir, writeConfig } from './workspace.js';

const POLICY = 'crashy';
const FAULT_POINTS = PHASES.flatMap((phase) => [`before:${phase}`, `after:${phase}`]);

/**
 * The daemon, as a child process, killed with SIGKILL at every phase boundary of a rotation on
 * `storeType`, then restarted: it must finish the same rotation, with the credential neither lost
 * nor duplicated, and consumers only ever handed the credential that ends up current.
 */
export function crashResumeSuite(storeType: string): void {
  const kind = STORE_KINDS.find((k) => k.type === storeType)!;
  const secretsSeen: string[] = [];

  describe(`crash-resume on the ${storeType} store: SIGKILL at every phase boundary`, () => {
    it.each(FAULT_POINTS)('%s: restarted, it finishes the same rotation; nothing lost or duplicated', async (faultPoint) => {
      const dir = await tempDir();
      const options = await kind.options();
      const read = () => openStore(options).read({ name: POLICY });
      const consumerLog = join(dir, 'consumer.log');
      const config = await writeConfig(dir, [{ name: POLICY, recordTo: consumerLog }], 'rotad.yaml', options);

      const seeding = DaemonProcess.start(config);
      await seeding.waitForMessage('Rotation completed');
      expect((await seeding.stop()).code).toBe(0);
      const old = (await read()).current!.value.reveal();

      expect((await runCli(['rotate', POLICY, '--config', config])).code).toBe(0);
      const crashing = DaemonProcess.start(config, { ROTAD_TEST_KILL_AT: faultPoint });
      const started = await crashing.waitForMessage('Rotation started');
      expect((await crashing.exited).signal).toBe('SIGKILL');
      const rotationId = String(started.rotation);

      const atCrash = await read();
      expect(atCrash.state.phase, 'the crash left the rotation in progress').not.toBe('idle');
      expect(atCrash.state.rotationId).toBe(rotationId);
      expect(
        [atCrash.current, atCrash.previous].some((c) => c?.value.reveal() === old),
        'the old credential is still recorded',
      ).toBe(true);

      const resumed = DaemonProcess.start(config);
      await resumed.waitForMessage('Rotation completed', (e) => e.rotation === rotationId);
      expect((await resumed.stop()).code).toBe(0);
      expect(
        resumed.entries.filter((e) => e.msg === 'Rotation started'),
        'no second rotation was started',
      ).toHaveLength(0);

      const after = await read();
      expect(after.state).toMatchObject({ phase: 'idle', lastRotationId: rotationId });
      expect(after.pending).toBeUndefined();
      expect(after.previous?.value.reveal()).toBe(old);
      const fresh = after.current!.value.reveal();
      expect(fresh).not.toBe(old);
      expect(after.current!.rotationId).toBe(rotationId);
      const recordedAtCrash = [atCrash.pending, atCrash.current].find((c) => c?.rotationId === rotationId);
      if (recordedAtCrash) expect(fresh, 'what was staged before the crash is what became current').toBe(recordedAtCrash.value.reveal());
      if (faultPoint !== 'before:obtain') expect(recordedAtCrash, 'the new credential was recorded before the crash').toBeDefined();

      const handed = (await readFile(consumerLog, 'utf8'))
        .trim()
        .split('\n')
        .map((line) => line.split(' '));
      const thisRotation = handed.filter(([id]) => id === rotationId);
      expect(thisRotation.length).toBeGreaterThanOrEqual(1);
      for (const [, value] of thisRotation) expect(value).toBe(fresh);
      expect(
        handed.filter(([id]) => id !== rotationId),
        'only the seeding rotation besides',
      ).toHaveLength(1);
      secretsSeen.push(old, fresh, ...[atCrash.pending, atCrash.current, atCrash.previous].flatMap((c) => (c ? [c.value.reveal()] : [])));
    });

    it('printed no secret in any of those runs', () => {
      expectNoSecretsInOutput(secretsSeen);
    });
  });
}
