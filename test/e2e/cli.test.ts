import { execFile } from 'node:child_process';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DaemonProcess, expectNoSecretsInOutput, runCli } from '../helpers/daemon.js';
import { ROOT } from '../helpers/paths.js';
import { readPolicy, secretsOf } from '../helpers/store.js';
import { eventually } from '../helpers/sinks.js';
import { tempDir, testConfig, writeConfig } from '../helpers/workspace.js';

const secrets: string[] = [];

/** A workspace whose store holds one completed rotation of each policy. */
async function rotatedWorkspace(names: string[]) {
  const dir = await tempDir();
  const config = await writeConfig(
    dir,
    names.map((name) => ({ name, recordTo: join(dir, `${name}.log`) })),
  );
  const daemon = DaemonProcess.start(config);
  for (const name of names) await daemon.waitFor((e) => e.msg === 'Rotation completed' && e.policy === name);
  expect((await daemon.stop()).code).toBe(0);
  return { dir, config };
}

describe('rotad validate and schema', () => {
  it('prints every problem with file:line:col and exits 2', async () => {
    const dir = await tempDir();
    const config = join(dir, 'bad.yaml');
    await writeFile(
      config,
      'version: 1\nstores: { s: { type: file, path: x, key: { env: K } } }\npolicies:\n  - name: a\n    provider: { type: random, size: 3 }\n    schedule: { cron: "* * *" }\n',
    );
    const result = await runCli(['validate', '--config', config]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/bad\.yaml:5:31: policies\[0\]\.provider\.size: unknown key 'size'/);
    expect(result.stdout).toBe('');
  });

  it('accepts the example config and prints next run times', async () => {
    const result = await runCli(['validate', '--config', 'config/rotad.example.yaml']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/OK \(2 policies\)/);
    expect(result.stdout).toMatch(/demo-webhook-secret: random → store local; cron "0 3 \* \* 1" \(Europe\/Berlin\), maxAge 14d/);
    expect(result.stdout).toMatch(/next runs: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ, /);
  });

  it('schema prints a JSON Schema', async () => {
    const result = await runCli(['schema']);
    expect(result.code).toBe(0);
    const schema = JSON.parse(result.stdout);
    expect(schema.$schema).toMatch(/json-schema\.org/);
    expect(Object.keys(schema.properties)).toEqual(expect.arrayContaining(['version', 'stores', 'policies']));
  });

  it('an unknown command prints usage and exits 2', async () => {
    const result = await runCli(['frobnicate']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/usage: rotad/);
    expect(result.stderr).not.toMatch(/did you mean/);
    const mistyped = await runCli(['statsu']);
    expect(mistyped.code).toBe(2);
    expect(mistyped.stderr).toMatch(/unknown command 'statsu' \(did you mean 'status'\?\)/);
  });
});

describe('the CLI contract', () => {
  const COMMANDS = ['run', 'validate', 'plan', 'status', 'check', 'rotate', 'submit', 'rollback', 'schema', 'version'];

  it('every command answers --help with its own usage, exit 0, and does nothing else', async () => {
    const dir = await tempDir();
    const config = await writeConfig(dir, [{ name: 'helped' }]);
    for (const command of COMMANDS) {
      for (const args of [[command, '--help'], [command, '--config', config, '--all', '-h'].filter((a) => command === 'rotate' || a !== '--all')]) {
        const result = await runCli(args);
        expect(result.code, args.join(' ')).toBe(0);
        expect(result.stdout, args.join(' ')).toMatch(new RegExp(`^usage: rotad ${command}\\b`));
        expect(result.stderr, args.join(' ')).toBe('');
      }
    }
    // rotate --all --help queued nothing, run --help started nothing: no state directory exists.
    expect(await readdir(dir)).toEqual(['rotad.yaml']);
  });

  it('--version and version print the package version; the metrics carry it as rotad_build_info', async () => {
    const { version } = JSON.parse(await readFile('package.json', 'utf8')) as { version: string };
    for (const args of [['--version'], ['version']]) {
      const result = await runCli(args);
      expect(result.code).toBe(0);
      expect(result.stdout).toBe(`rotad ${version} (node ${process.version})\n`);
    }
    const { Metrics } = await import('../../src/observability/metrics.js');
    expect(await new Metrics().render()).toContain(`rotad_build_info{version="${version}",nodeversion="${process.version}"} 1`);
  });

  it('usage mistakes exit 2 with USAGE_INVALID or POLICY_NOT_FOUND, and say what to do', async () => {
    const dir = await tempDir();
    const config = await writeConfig(dir, [{ name: 'used' }]);
    const cases: Array<[string[], RegExp]> = [
      [['rotate', '--config', config], /USAGE_INVALID: rotate: name at least one policy, or pass --all/],
      [['rotate', '--config', config, '--bogus', 'used'], /USAGE_INVALID: rotate: Unknown option '--bogus'; see rotad rotate --help/],
      [['status', '--config'], /USAGE_INVALID: status: Option '-c, --config <value>' argument missing/],
      [['submit', '--config', config], /USAGE_INVALID: submit: takes exactly 1 policy name, got none/],
      [['rollback', '--config', config, 'a', 'b'], /USAGE_INVALID: rollback: takes exactly 1 policy name, got 'a' 'b'/],
      [['plan', '--config', config, 'extra'], /USAGE_INVALID: plan: takes no arguments/],
      [['rotate', '--config', config, 'nope'], /POLICY_NOT_FOUND: no policy named 'nope' \(known: used\)/],
      [['frobnicate'], /USAGE_INVALID: unknown command 'frobnicate'/],
    ];
    for (const [args, message] of cases) {
      const result = await runCli(args);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr, args.join(' ')).toMatch(message);
      expect(result.stderr).not.toMatch(/INTERNAL/);
    }
    expect(await readdir(dir)).toEqual(['rotad.yaml']);
  });

  it('output read only in part (| head) ends quietly, without a stack trace', async () => {
    const dir = await tempDir();
    const config = await writeConfig(
      dir,
      Array.from({ length: 300 }, (_, i) => ({ name: `p${i}` })),
    );
    const { stdout, stderr } = await promisify(execFile)('bash', ['-c', `set -o pipefail; node dist/cli/main.js plan -c ${config} | head -1; echo "exit=$?"`], {
      cwd: ROOT,
    });
    expect(stdout).toMatch(/^p0 \(random → store local\)\nexit=0\n$/);
    expect(stderr).toBe('');
  });

  it('a directory given as config is named, with what to give instead', async () => {
    const dir = await tempDir();
    const result = await runCli(['validate', '--config', dir]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`${dir}: is a directory, not a config file`);
  });

  it('validate, plan and status print JSON with --json, also for an invalid config', async () => {
    const { config } = await rotatedWorkspace(['jsoned']);
    const validated = JSON.parse((await runCli(['validate', '--config', config, '--json'])).stdout);
    expect(validated).toMatchObject({ ok: true, policies: [{ name: 'jsoned', provider: 'random', store: 'local', nextRuns: expect.any(Array) }] });
    const planned = JSON.parse((await runCli(['plan', '--config', config, '--json'])).stdout);
    expect(planned).toMatchObject([
      {
        name: 'jsoned',
        state: expect.stringMatching(/^idle; current credential/),
        next: [{ reason: 'schedule' }, {}, {}],
        steps: expect.arrayContaining([expect.stringMatching(/^obtain: /)]),
      },
    ]);
    const status = JSON.parse((await runCli(['status', '--config', config, '--json'])).stdout);
    expect(status).toMatchObject([{ policy: 'jsoned', phase: 'idle', nextReason: 'schedule' }]);
    const bad = join(dirname(config), 'bad.yaml');
    await writeFile(bad, 'version: 1\nstores: {}\npolicies: []\nextra: 1\n');
    const invalid = await runCli(['validate', '--config', bad, '--json']);
    expect(invalid.code).toBe(2);
    expect(JSON.parse(invalid.stdout)).toMatchObject({
      ok: false,
      code: 'CONFIG_INVALID',
      problems: expect.arrayContaining([expect.stringMatching(/bad\.yaml:\d+:\d+: /)]),
    });
  });
});

describe('rotad plan writes nothing', () => {
  it('on a fresh machine: no state directory, no key, no store appear', async () => {
    const dir = await tempDir();
    const config = await writeConfig(dir, [{ name: 'fresh' }]);
    const result = await runCli(['plan', '--config', config]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/fresh \(random → store local\)/);
    expect(result.stdout).toMatch(/state: idle; no credential yet/);
    expect(result.stdout).toMatch(/next: .* \(initial\)/);
    expect(result.stdout).toMatch(/1\. obtain: generate 40 random alphanumeric characters/);
    expect(result.stdout).toMatch(/revoke: nothing to revoke/);
    expect(await readdir(dir)).toEqual(['rotad.yaml']);
  });

  it('on an existing store: the file is byte for byte unchanged, and the plan shows age and next run', async () => {
    const { dir, config } = await rotatedWorkspace(['planned']);
    const before = await readFile(join(dir, 'state/secrets.enc'));
    const mtime = (await stat(join(dir, 'state/secrets.enc'))).mtimeMs;
    const result = await runCli(['plan', '--config', config]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/state: idle; current credential \d+m?s old/);
    expect(result.stdout).toMatch(/next: .* \(schedule\)/);
    expect(result.stdout).toMatch(/update consumers: exec node/);
    expect(result.stdout).toMatch(/grace: wait 0ms once all 1 consumer\(s\) confirmed \(a minimum: revoke never starts before every consumer confirmed\)/);
    expect(await readFile(join(dir, 'state/secrets.enc'))).toEqual(before);
    expect((await stat(join(dir, 'state/secrets.enc'))).mtimeMs).toBe(mtime);
    secrets.push(...secretsOf(await readPolicy(dir, 'planned')));
  });
});

describe('rotad status, rotate and rollback', () => {
  it('status shows phase, age, last and next rotation, as a table and as JSON', async () => {
    const { dir, config } = await rotatedWorkspace(['alpha', 'beta']);
    const table = await runCli(['status', '--config', config]);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^POLICY\s+PHASE\s+AGE\s+LAST ROTATION\s+NEXT ROTATION\s+ATTENTION/);
    expect(table.stdout).toMatch(/alpha\s+idle\s+\d+m?s\s+\d{4}-.*Z\s+\d{4}-.*Z \(schedule\)\s+-/);
    const json = JSON.parse((await runCli(['status', '--json', '--config', config])).stdout);
    expect(json).toHaveLength(2);
    expect(json[0]).toMatchObject({ policy: 'alpha', phase: 'idle', needsAttention: false, nextReason: 'schedule' });
    secrets.push(...secretsOf(await readPolicy(dir, 'alpha'), await readPolicy(dir, 'beta')));
  });

  it('status says what the revocation of the old credential waits for: every consumer, then the grace period', async () => {
    const dir = await tempDir();
    const config = await writeConfig(dir, [{ name: 'graced', grace: '1h', recordTo: join(dir, 'graced.log') }]);
    const daemon = DaemonProcess.start(config);
    try {
      await daemon.waitForMessage('Rotation completed');
      expect((await runCli(['rotate', 'graced', '--config', config])).code).toBe(0);
      await daemon.waitForMessage('Rotation waiting', (e) => e.phase === 'grace');
    } finally {
      await daemon.stop();
    }
    const table = await runCli(['status', '--config', config]);
    expect(table.stdout).toMatch(
      /graced: the old credential is revoked once every consumer has confirmed the new one \(1 of 1 so far\), then the grace period, until \d{4}-\d\d-\d\dT[\d:]+Z/,
    );
    const [json] = JSON.parse((await runCli(['status', '--json', '--config', config])).stdout) as Array<Record<string, unknown>>;
    expect(json).toMatchObject({ phase: 'grace', revokeWaitsFor: { consumersConfirmed: 1, consumers: 1, graceUntil: expect.stringMatching(/Z$/) } });
    secrets.push(...secretsOf(await readPolicy(dir, 'graced')));
  });

  it('rotate without a daemon records the request; the next start serves it (and only it)', async () => {
    const { dir, config } = await rotatedWorkspace(['alpha', 'beta']);
    const alpha = await readPolicy(dir, 'alpha');
    const beta = await readPolicy(dir, 'beta');
    const result = await runCli(['rotate', 'alpha', '--config', config]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/alpha: rotation requested/);
    expect(result.stdout).toMatch(/no running daemon found/);
    expect((await readPolicy(dir, 'alpha')).state.requestedAt).toBeTypeOf('number');

    const daemon = DaemonProcess.start(config);
    const started = await daemon.waitForMessage('Rotation started');
    expect(started).toMatchObject({ policy: 'alpha', trigger: 'cli' });
    await daemon.waitForMessage('Rotation completed');
    expect((await daemon.stop()).code).toBe(0);
    expect((await readPolicy(dir, 'alpha')).previous?.value.reveal()).toBe(alpha.current?.value.reveal());
    expect((await readPolicy(dir, 'beta')).current?.rotationId).toBe(beta.current?.rotationId);
    secrets.push(...secretsOf(alpha, beta, await readPolicy(dir, 'alpha')));
  });

  it('rotate reaches a running daemon at once, without rotating the opted-in policies', async () => {
    const dir = await tempDir();
    const config = await writeConfig(dir, [{ name: 'asked' }, { name: 'on-signal', rotateOnSignal: true }]);
    const daemon = DaemonProcess.start(config);
    await daemon.waitFor((e) => e.msg === 'Rotation completed' && e.policy === 'asked');
    await daemon.waitFor((e) => e.msg === 'Rotation completed' && e.policy === 'on-signal');
    const result = await runCli(['rotate', 'asked', '--config', config]);
    expect(result.stdout).toMatch(/daemon \(pid \d+\) notified/);
    await daemon.waitForMessage('Rotation requests received');
    await daemon.waitFor((e) => e.msg === 'Rotation completed' && e.policy === 'asked', 15_000, 1);
    await daemon.stop();
    expect(daemon.entries.filter((e) => e.msg === 'Rotation started' && e.policy === 'on-signal')).toHaveLength(1);
    secrets.push(...secretsOf(await readPolicy(dir, 'asked')));
  });

  it('rotate names an unknown policy with the known ones, exit 2', async () => {
    const dir = await tempDir();
    const config = await writeConfig(dir, [{ name: 'only' }]);
    const result = await runCli(['rotate', 'nope', '--config', config]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/POLICY_NOT_FOUND: no policy named 'nope' \(known: only\)/);
  });

  it('rollback makes the previous credential current again and hands it to the consumers', async () => {
    const { dir, config } = await rotatedWorkspace(['rb']);
    expect((await runCli(['rollback', 'rb', '--config', config])).stderr).toMatch(/ROLLBACK_UNSAFE: policy rb has no previous credential/);
    await runCli(['rotate', 'rb', '--config', config]);
    const daemon = DaemonProcess.start(config);
    await daemon.waitForMessage('Rotation completed');
    await daemon.stop();
    const rotated = await readPolicy(dir, 'rb');
    const result = await runCli(['rollback', 'rb', '--config', config]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/rb: previous credential \(rotation .*\) is current again/);
    const after = await readPolicy(dir, 'rb');
    expect(after.current?.value.reveal()).toBe(rotated.previous?.value.reveal());
    const handed = (await readFile(join(dir, 'rb.log'), 'utf8')).trim().split('\n');
    expect(handed.at(-1)?.endsWith(rotated.previous!.value.reveal())).toBe(true);
    secrets.push(...secretsOf(rotated, after));
  });

  it('rollback while the daemon runs: the daemon notifies and audits it once, and its metrics show the restored credential', async () => {
    const dir = await tempDir();
    const config = join(dir, 'rotad.yaml');
    await writeFile(
      config,
      testConfig(dir, [{ name: 'live', rotateOnSignal: true }])
        .replace('health: { enabled: false }', `health: { host: 127.0.0.1, port: 0 }\n  audit: { file: ${dir}/audit.jsonl }`)
        .replace('schedule: { every: 30d }', 'schedule: { every: 30d }\n    maxAge: 20d'),
    );
    const daemon = DaemonProcess.start(config);
    const { port } = await daemon.waitForMessage('Health endpoints listening');
    await daemon.waitForMessage('Rotation completed');
    daemon.signal('SIGUSR2');
    await daemon.waitFor((e) => e.msg === 'Rotation completed', 20_000, 1);
    const rotated = await readPolicy(dir, 'live');
    const result = await runCli(['rollback', 'live', '--config', config]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/daemon \(pid \d+\) notified: it sends the notification and the audit event/);
    const restored = rotated.previous!;
    const notified = await daemon.waitFor((e) => e.msg === 'Rotation event' && e.event === 'rotation-rolled-back');
    expect(notified).toMatchObject({ policy: 'live', detail: `previous credential (rotation ${restored.rotationId}) is current again` });
    await daemon.waitForMessage('Rotation rolled back');
    const expiry = `rotad_credential_expiry_timestamp_seconds{policy="live"} ${(restored.createdAt + 20 * 86_400_000) / 1000}`;
    await eventually(async () => (await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()).includes(expiry));
    expect((await daemon.stop()).code).toBe(0);
    const audit = (await readFile(join(dir, 'audit.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(audit.filter((e) => e.phase === 'rollback')).toMatchObject([{ policy: 'live', outcome: 'rolled-back', actor: 'cli' }]);
    expect(daemon.entries.filter((e) => e.msg === 'Rotation event' && e.event === 'rotation-rolled-back')).toHaveLength(1);
    expect((await readPolicy(dir, 'live')).state.outbox).toEqual([]);
    // maxAge 20d is inside the 30d warning: each credential was warned about once; the restored one
    // is not warned about again, neither now nor after a restart.
    const warned = (d: DaemonProcess) => d.entries.filter((e) => e.msg === 'Rotation event' && e.event === 'expiry-warning').map((e) => e.expiresAt);
    expect(warned(daemon)).toHaveLength(2);
    const restarted = DaemonProcess.start(config);
    const again = await restarted.waitForMessage('Health endpoints listening');
    // Its first look at the policy has run (alerts come before the metrics) once the expiry gauge shows.
    await eventually(async () => (await (await fetch(`http://127.0.0.1:${again.port}/metrics`)).text()).includes(expiry));
    expect((await restarted.stop()).code).toBe(0);
    expect(warned(restarted)).toEqual([]);
    secrets.push(...secretsOf(rotated));
  });

  it('no secret appeared in any CLI or daemon output of this file', () => {
    expectNoSecretsInOutput(secrets);
  });
});

describe('a failing consumer, end to end', () => {
  it('ends in needs-attention (visible in status, old credential kept), and `rotad rotate` resumes it once fixed', async () => {
    const { dir, config } = await rotatedWorkspace(['fragile']);
    const old = await readPolicy(dir, 'fragile');
    const broken = await tempDir();
    const brokenConfig = join(broken, 'rotad.yaml');
    // Same store, but the consumer now refuses every credential.
    await writeFile(brokenConfig, (await readFile(config, 'utf8')).replace('env: {}', 'env: {"RECORD_EXIT":"1"}'));
    await runCli(['rotate', 'fragile', '--config', brokenConfig]);
    const failing = DaemonProcess.start(brokenConfig);
    const attention = await failing.waitForMessage('Rotation needs attention');
    expect(attention).toMatchObject({ phase: 'consumers', code: 'CONSUMER_FAILED' });
    expect(String(attention.reason)).toMatch(/exited with code 1: consumer refused the credential/);
    await failing.waitForMessage('Rotation event', (e) => e.event === 'needs-attention');
    expect((await failing.stop()).code).toBe(0);

    const status = await runCli(['status', '--config', config]);
    // It waits for `rotad rotate`, not for a person's token.
    expect(status.stdout).toMatch(/fragile\s+consumers\s+.*on rotad rotate \(stopped\)\s+YES/);
    expect(status.stdout).toContain('next: rotad rotate fragile (resumes the stopped rotation) or rotad rollback fragile');
    expect(status.stdout).not.toMatch(/waits for a person/);
    expect(status.stdout).toMatch(/fragile: CONSUMER_FAILED in phase consumers: command node exited with code 1/);
    const stuck = await readPolicy(dir, 'fragile');
    expect(stuck.previous?.value.reveal()).toBe(old.current?.value.reveal()); // old one kept, not revoked
    expect(stuck.previous?.revokedAt).toBeUndefined();

    // Fixed consumer: a request resumes the same rotation.
    await runCli(['rotate', 'fragile', '--config', config]);
    const fixed = DaemonProcess.start(config);
    await fixed.waitForMessage('Rotation completed', (e) => e.rotation === stuck.state.rotationId);
    await fixed.stop();
    const done = await readPolicy(dir, 'fragile');
    expect(done.state).toMatchObject({ phase: 'idle', lastRotationId: stuck.state.rotationId });
    expect(done.state.attention).toBeUndefined();
    secrets.push(...secretsOf(old, stuck, done));
    expectNoSecretsInOutput(secrets);
  });
});
