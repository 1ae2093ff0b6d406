import { request } from 'node:http';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import { mkdir, readFile, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { DaemonProcess, expectNoSecretsInOutput, runCli } from '../helpers/daemon.js';
import { closeServer, freePort, listenLocal } from '../helpers/ports.js';
import { CountingProxy } from '../helpers/store-proxy.js';
import { readPolicy, secretsOf } from '../helpers/store.js';
import { tempDir, testConfig, writeConfig } from '../helpers/workspace.js';

describe('daemon start-up', () => {
  it('an invalid config: exit code 2, every problem logged with line and column', async () => {
    const dir = await tempDir();
    const config = join(dir, 'rotad.yaml');
    await writeFile(config, testConfig(dir, [{ name: 'p' }]).replace('length: 40', 'length: 40, colour: red'));
    const daemon = DaemonProcess.start(config);
    expect((await daemon.exited).code).toBe(2);
    const fatal = daemon.entries.find((e) => e.msg === 'Configuration is invalid');
    expect((fatal?.problems as string[])[0]).toMatch(/rotad\.yaml:\d+:\d+: policies\[0\]\.provider\.colour: unknown key 'colour'/);
  });

  it('a wrong store key: exit code 1 with STORE_KEY_MISMATCH, and the store is not touched', async () => {
    const dir = await tempDir();
    const config = await writeConfig(dir, [{ name: 'p' }]);
    const first = DaemonProcess.start(config);
    await first.waitForMessage('Rotation completed');
    await first.stop();
    const before = await readFile(join(dir, 'state/secrets.enc'));
    const secrets = secretsOf(await readPolicy(dir, 'p'));
    const goodKey = await readFile(join(dir, 'state/store.key'));
    await writeFile(join(dir, 'state/store.key'), Buffer.alloc(32, 1).toString('base64'));
    const second = DaemonProcess.start(config);
    expect((await second.exited).code).toBe(1);
    const fatal = second.entries.find((e) => e.msg === 'Cannot start');
    expect(fatal?.error).toMatchObject({
      code: 'STORE_KEY_MISMATCH',
      message: expect.stringMatching(/store local: the configured key does not open .*restore the key/),
    });
    expect(await readFile(join(dir, 'state/secrets.enc'))).toEqual(before);
    // status says the store cannot be read, not that the policy waits for a person.
    const status = await runCli(['status', '--config', config]);
    expect(status.code).toBe(1);
    expect(status.stdout).toMatch(/p\s+unknown\s+-\s+never\s+unknown \(store not readable\)\s+YES/);
    expect(status.stdout).toMatch(/p: cannot read its store: the configured key does not open .*restore the key/);
    expect(status.stdout).not.toMatch(/waits for a person/);
    await writeFile(join(dir, 'state/store.key'), goodKey);
    expectNoSecretsInOutput(secrets);
  });

  it('an unusable store directory: exit code 1 with STORE_UNREACHABLE naming the path', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'not-a-dir'), '');
    const config = join(dir, 'rotad.yaml');
    await writeFile(config, testConfig(dir, [{ name: 'p' }]).replace(`path: ${dir}/state/secrets.enc`, `path: ${dir}/not-a-dir/secrets.enc`));
    const daemon = DaemonProcess.start(config);
    expect((await daemon.exited).code).toBe(1);
    expect(daemon.entries.find((e) => e.msg === 'Cannot start')?.error).toMatchObject({
      code: 'STORE_UNREACHABLE',
      message: expect.stringMatching(/not-a-dir\/secrets\.enc cannot be used \((ENOTDIR|EEXIST)\); check that the directory exists/),
    });
  });

  it('refuses to start a second daemon on the same state directory', async () => {
    const dir = await tempDir();
    const config = await writeConfig(dir, [{ name: 'p' }]);
    const first = DaemonProcess.start(config);
    await first.waitForMessage('rotad started');
    const second = DaemonProcess.start(config);
    expect((await second.exited).code).toBe(1);
    expect(second.entries.find((e) => e.msg === 'Cannot start')?.error).toMatchObject({
      message: expect.stringMatching(/another rotad \(pid \d+\) is running/),
    });
    await first.stop();
  });

  it('the file store serves one daemon: a second one (its own state directory, the same store) is refused; a killed one is taken over', async () => {
    const dir = await tempDir();
    const config = await writeConfig(dir, [{ name: 'p' }]);
    const replica = join(dir, 'replica.yaml');
    await writeFile(replica, (await readFile(config, 'utf8')).replace(`stateDir: ${dir}/state`, `stateDir: ${dir}/replica-state`));
    const first = DaemonProcess.start(config);
    await first.waitForMessage('rotad started');
    const second = DaemonProcess.start(replica);
    expect((await second.exited).code).toBe(1);
    expect(second.entries.find((e) => e.msg === 'Cannot start')?.error).toMatchObject({
      code: 'STORE_BUSY',
      message: expect.stringMatching(
        /file store .*secrets\.enc is used by another rotad daemon \(.*, pid \d+, renewed \d+ s ago\): the file store serves one daemon\. .*use a vault or aws-secrets-manager store/,
      ),
    });
    expect(existsSync(join(dir, 'replica-state/rotad.pid'))).toBe(false);
    // Killed without releasing its claim: on the same host rotad sees the process is gone.
    first.child.kill('SIGKILL');
    await first.exited;
    const third = DaemonProcess.start(replica);
    await third.waitForMessage('rotad started');
    expect((await third.stop()).code).toBe(0);
    expect(existsSync(join(dir, 'state/secrets.enc.daemon'))).toBe(false);
  });

  it('a claim renewed from another host blocks for 30 s at most', async () => {
    const { claimFileStore, claimPath } = await import('../../src/stores/file/daemon-claim.js');
    const dir = await tempDir();
    const store = join(dir, 'secrets.enc');
    const other = (ageMs: number) => JSON.stringify({ owner: 'daemon-elsewhere', host: 'node-b', pid: 1, renewedAt: Date.now() - ageMs });
    await writeFile(claimPath(store), other(5_000));
    await expect(claimFileStore(store, 'me')).rejects.toMatchObject({
      code: 'STORE_BUSY',
      message: expect.stringContaining('(node-b, pid 1, renewed 5 s ago)'),
    });
    await writeFile(claimPath(store), other(31_000));
    const claim = await claimFileStore(store, 'me');
    expect(JSON.parse(await readFile(claimPath(store), 'utf8'))).toMatchObject({ owner: 'me', pid: process.pid });
    await claim.release();
    expect(existsSync(claimPath(store))).toBe(false);
  });

  it('a taken health port: exit 1 naming the setting and the port, and no pid file left behind', async () => {
    const dir = await tempDir();
    const taken = createServer();
    const port = Number(new URL(await listenLocal(taken)).port);
    try {
      const config = join(dir, 'rotad.yaml');
      await writeFile(config, testConfig(dir, [{ name: 'p' }]).replace('health: { enabled: false }', `health: { host: 127.0.0.1, port: ${port} }`));
      const daemon = DaemonProcess.start(config);
      expect((await daemon.exited).code).toBe(1);
      const fatal = daemon.entries.find((e) => e.msg === 'Cannot start');
      expect(fatal?.error).toMatchObject({
        message: `daemon.health.port ${port} on 127.0.0.1 is already in use (EADDRINUSE): another process (another rotad?) listens there; stop it, or set daemon.health.port to a free port (the example configs read it from ROTAD_HEALTH_PORT)`,
      });
      expect(existsSync(join(dir, 'state/rotad.pid'))).toBe(false);
    } finally {
      await closeServer(taken);
    }
  });

  it('rotad rotate never signals a process that is not the daemon named by a stale pid file', async () => {
    const dir = await tempDir();
    const config = await writeConfig(dir, [{ name: 'p' }]);
    const bystander = spawn('sleep', ['30'], { stdio: 'ignore' });
    try {
      await mkdir(join(dir, 'state'), { recursive: true });
      await writeFile(join(dir, 'state/rotad.pid'), `${bystander.pid}\n`);
      const result = await runCli(['rotate', 'p', '--config', config]);
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(new RegExp(`not signalled: pid ${bystander.pid} is 'sleep 30', not rotad run \\(a stale pid file\\)`));
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(bystander.exitCode).toBeNull();
      expect(bystander.signalCode).toBeNull();
      // The request is in the store all the same: the next daemon start serves it.
      expect((await readPolicy(dir, 'p')).state.requestedAt).toEqual(expect.any(Number));
    } finally {
      bystander.kill('SIGKILL');
    }
  });

  it('a pid file whose pid now belongs to a younger process is stale, even if that process is a rotad', async () => {
    const { checkPidFile } = await import('../../src/daemon/pid-file.js');
    const dir = await tempDir();
    const other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)', 'run'], { stdio: 'ignore' });
    try {
      await writeFile(join(dir, 'rotad.pid'), `${other.pid}\n`);
      // Written long before that process started: the pid was reused.
      await utimes(join(dir, 'rotad.pid'), new Date(Date.now() - 3_600_000), new Date(Date.now() - 3_600_000));
      expect(await checkPidFile(dir)).toMatchObject({ status: 'foreign', reason: expect.stringMatching(/started after .* was written/) });
      await utimes(join(dir, 'rotad.pid'), new Date(), new Date(Date.now() + 5_000));
      expect(await checkPidFile(dir)).toEqual({ status: 'running', pid: other.pid });
    } finally {
      other.kill('SIGKILL');
    }
  });

  it('serves /healthz and /readyz', async () => {
    const dir = await tempDir();
    const config = join(dir, 'rotad.yaml');
    await writeFile(config, testConfig(dir, [{ name: 'p' }]).replace('health: { enabled: false }', 'health: { host: 127.0.0.1, port: 0 }'));
    const daemon = DaemonProcess.start(config);
    const { port } = await daemon.waitForMessage('Health endpoints listening');
    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(health.status).toBe(200);
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready' });
    expect((await fetch(`http://127.0.0.1:${port}/other`)).status).toBe(404);
    expect((await fetch(`http://127.0.0.1:${port}/healthz`, { method: 'HEAD' })).status).toBe(200);
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH', 'TRACE']) {
      const status = await new Promise<number | undefined>((resolve, reject) => {
        request({ host: '127.0.0.1', port: Number(port), path: '/readyz', method }, (response) => {
          response.resume();
          resolve(response.statusCode);
        })
          .on('error', reject)
          .end();
      });
      expect(status, `${method} is refused`).toBe(405);
    }
    await daemon.stop();
  });

  it('a network store down at start: runs, reports not ready, retries; SIGTERM still exits 0', async () => {
    const dir = await tempDir();
    const config = join(dir, 'rotad.yaml');
    process.env.ROTAD_TEST_DOWN_VAULT_TOKEN = 'not-a-real-token';
    const vault = { type: 'vault', address: 'http://127.0.0.1:1', auth: { method: 'token', tokenEnv: 'ROTAD_TEST_DOWN_VAULT_TOKEN' } };
    await writeFile(config, testConfig(dir, [{ name: 'p' }], '', vault).replace('health: { enabled: false }', 'health: { host: 127.0.0.1, port: 0 }'));
    const daemon = DaemonProcess.start(config, { ROTAD_TEST_DOWN_VAULT_TOKEN: 'not-a-real-token' });
    await daemon.waitForMessage('A store is unreachable at start; running, not ready, and retrying');
    const { port } = await daemon.waitForMessage('Health endpoints listening');
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ status: 'not ready', reason: expect.stringMatching(/^store local: .*127\.0\.0\.1:1/) });
    const failed = await daemon.waitForMessage('Policy could not be processed');
    expect(failed).toMatchObject({ policy: 'p', retryInMs: 5000 });
    expect((await daemon.stop()).code).toBe(0);
  });

  it('a network store that comes up after the start: the daemon logs when it became ready, and /readyz says so', async () => {
    const dir = await tempDir();
    const config = join(dir, 'rotad.yaml');
    const { address, rootToken } = inject('servers').vault;
    // OpenBao is reached through a proxy on a port where nothing listens yet: the store is down at start.
    const port = await freePort();
    const vault = { type: 'vault', address: `http://127.0.0.1:${port}`, auth: { method: 'token', tokenEnv: 'ROTAD_TEST_LATE_VAULT_TOKEN' } };
    await writeFile(config, testConfig(dir, [{ name: 'p' }], '', vault).replace('health: { enabled: false }', 'health: { host: 127.0.0.1, port: 0 }'));
    const daemon = DaemonProcess.start(config, { ROTAD_TEST_LATE_VAULT_TOKEN: rootToken });
    await daemon.waitForMessage('A store is unreachable at start; running, not ready, and retrying');
    const { port: healthPort } = await daemon.waitForMessage('Health endpoints listening');
    expect(daemon.entries.some((e) => e.msg === 'Ready: every store answers')).toBe(false);
    const proxy = new CountingProxy(new URL(address));
    await proxy.start(port);
    try {
      const ready = await daemon.waitForMessage('Ready: every store answers', () => true, 30_000);
      expect(ready.notReadyForMs).toBeGreaterThan(0);
      expect((await fetch(`http://127.0.0.1:${healthPort}/readyz`)).status).toBe(200);
      // The same reason is not logged again at every retry: the start said it once.
      expect(daemon.entries.filter((e) => e.msg === 'Not ready yet: a store does not answer').length).toBeLessThanOrEqual(1);
      expect((await daemon.stop()).code).toBe(0);
    } finally {
      await proxy.stop();
    }
  });
});
