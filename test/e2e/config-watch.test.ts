import { mkdir, rename, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DaemonProcess } from '../helpers/daemon.js';
import { eventually } from '../helpers/sinks.js';
import { tempDir, testConfig } from '../helpers/workspace.js';

/**
 * A directory laid out as Kubernetes mounts a ConfigMap: rotad.yaml → ..data/rotad.yaml, and an
 * update writes a new timestamped directory and swaps the ..data symlink atomically.
 */
async function configMapMount(dir: string): Promise<{ path: string; update(text: string): Promise<void> }> {
  const mount = join(dir, 'configmap');
  await mkdir(mount);
  let version = 0;
  const update = async (text: string): Promise<void> => {
    const target = `..2026_11_23_00_00_0${(version += 1)}`;
    await mkdir(join(mount, target));
    await writeFile(join(mount, target, 'rotad.yaml'), text);
    await symlink(target, join(mount, '..data_tmp'));
    await rename(join(mount, '..data_tmp'), join(mount, '..data'));
  };
  return {
    path: join(mount, 'rotad.yaml'),
    update: async (text) => {
      await update(text);
      await symlink('..data/rotad.yaml', join(mount, 'rotad.yaml')).catch(() => undefined);
    },
  };
}

const metric = async (port: unknown, name: string): Promise<string[]> =>
  (await (await fetch(`http://127.0.0.1:${String(port)}/metrics`)).text()).split('\n').filter((line) => line.startsWith(name));

describe('reload without signals: the config file is watched', () => {
  it('a ConfigMap update is loaded; an invalid one is rejected once, with line and column; metrics show which config runs', async () => {
    const dir = await tempDir();
    const mount = await configMapMount(dir);
    const config = (names: string[]) =>
      testConfig(
        dir,
        names.map((name) => ({ name })),
      )
        .replace('watchConfig: 0s', 'watchConfig: 200ms')
        .replace('health: { enabled: false }', 'health: { host: 127.0.0.1, port: 0 }');
    await mount.update(config(['first']));
    const daemon = DaemonProcess.start(mount.path);
    const { port } = await daemon.waitForMessage('Health endpoints listening');
    const started = await daemon.waitForMessage('rotad started');
    expect(await metric(port, 'rotad_config_info')).toEqual([`rotad_config_info{hash="${String(started.hash)}"} 1`]);
    expect(await metric(port, 'rotad_config_last_reload_successful')).toEqual(['rotad_config_last_reload_successful 1']);

    await mount.update(config(['first', 'second']));
    const reloaded = await daemon.waitForMessage('Configuration reloaded');
    expect(reloaded).toMatchObject({ policies: 2 });
    expect(reloaded.hash).not.toBe(started.hash);
    expect(daemon.entries.find((e) => e.msg === 'Reloading configuration')).toMatchObject({ cause: 'config file changed' });
    await daemon.waitFor((e) => e.msg === 'Rotation completed' && e.policy === 'second');
    await eventually(async () => (await metric(port, 'rotad_config_info')).includes(`rotad_config_info{hash="${String(reloaded.hash)}"} 1`));

    await mount.update(config(['first', 'second']).replace('length: 40', 'length: 40, colour: red'));
    const rejected = await daemon.waitForMessage('Configuration reload rejected, keeping the running configuration');
    expect((rejected.problems as string[])[0]).toMatch(/rotad\.yaml:\d+:\d+: policies\[0\]\.provider\.colour: unknown key 'colour'/);
    await eventually(async () => (await metric(port, 'rotad_config_last_reload_successful')).includes('rotad_config_last_reload_successful 0'));
    expect(await metric(port, 'rotad_config_info')).toEqual([`rotad_config_info{hash="${String(reloaded.hash)}"} 1`]);

    // Fixed again: loaded, and the invalid content was rejected once, not at every look.
    await mount.update(config(['first', 'second', 'third']));
    await daemon.waitForMessage('Configuration reloaded', () => true, 15_000, 1);
    expect(daemon.entries.filter((e) => e.msg === 'Configuration reload rejected, keeping the running configuration')).toHaveLength(1);
    expect(await metric(port, 'rotad_config_last_reload_successful')).toEqual(['rotad_config_last_reload_successful 1']);
    expect((await daemon.stop()).code).toBe(0);
  });
});
