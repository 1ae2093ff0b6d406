import { readFile, writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { DaemonProcess, runCli } from '../helpers/daemon.js';
import { readPolicy } from '../helpers/store.js';
import { tempDir, writeConfig } from '../helpers/workspace.js';

describe('suspend: true stops every rotation of a policy; alerts go on', () => {
  it('no signal, request or schedule rotates it; status says so; rotad rotate says what to do', async () => {
    const dir = await tempDir();
    const config = await writeConfig(dir, [
      { name: 'paused', rotateOnSignal: true },
      { name: 'running', rotateOnSignal: true },
    ]);
    let daemon = DaemonProcess.start(config);
    await daemon.waitFor((e) => e.msg === 'Rotation completed' && e.policy === 'paused');
    await daemon.waitFor((e) => e.msg === 'Rotation completed' && e.policy === 'running');
    expect((await daemon.stop()).code).toBe(0);
    const before = await readPolicy(dir, 'paused');

    // Suspend it, with maxAge 1s so that it is overdue at once: alerts must still come.
    const text = await readFile(config, 'utf8');
    await writeFile(config, text.replace('  - name: paused\n', '  - name: paused\n    suspend: true\n    maxAge: 1s\n    overdueAfter: 1s\n'));
    const refused = await runCli(['rotate', 'paused', '--config', config]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/POLICY_SUSPENDED: paused is suspended \(suspend: true in .*rotad\.yaml\): no rotation starts or goes on; remove suspend/);
    const all = await runCli(['rotate', '--all', '--config', config]);
    expect(all.stdout).toContain('paused: suspended (suspend: true), not requested');
    expect(all.stdout).toContain('running: rotation requested');

    daemon = DaemonProcess.start(config);
    await daemon.waitFor((e) => e.msg === 'Rotation completed' && e.policy === 'running');
    daemon.signal('SIGUSR2');
    expect((await daemon.waitForMessage('Rotation triggered by signal')).policies).toEqual(['running']);
    await daemon.waitFor((e) => e.msg === 'Rotation event' && e.event === 'rotation-overdue' && e.policy === 'paused');
    const status = await runCli(['status', '--config', config]);
    expect(status.stdout).toMatch(/paused\s+idle\s+.*suspended/);
    expect((await daemon.stop()).code).toBe(0);
    expect(daemon.entries.filter((e) => e.msg === 'Rotation started' && e.policy === 'paused')).toEqual([]);
    expect((await readPolicy(dir, 'paused')).current?.rotationId).toBe(before.current?.rotationId);
  });
});
