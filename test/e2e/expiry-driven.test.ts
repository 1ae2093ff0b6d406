import { readFile, writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DaemonProcess, expectNoSecretsInOutput, runCli } from '../helpers/daemon.js';
import { eventually } from '../helpers/sinks.js';
import { readPolicy } from '../helpers/store.js';
import { waitForEvent, writeSaasConfig } from '../helpers/saas.js';
import { tempDir } from '../helpers/workspace.js';
import { CutoverServer } from '../adapters/providers/cutover/stand-in.js';

const CORE = 'https://acme.cutover.com';
const LIFETIME_S = 30;

describe('expiry drives rotation: a Cutover token that expires soon is replaced before it does', () => {
  const cutover = new CutoverServer(CORE);
  const secrets: string[] = [];
  beforeAll(async () => {
    await cutover.start();
  });
  afterAll(async () => {
    await cutover.stop();
    expectNoSecretsInOutput(secrets);
  });

  it('opens the request early enough for its deadline, with no schedule due, across a restart', async () => {
    const dir = await tempDir();
    // A schedule 90 days out; the request's deadline (8 s) plus a reminder (4 s) is a longer lead
    // than a third of the token's 30 s life, so the request opens 12 s before the expiry.
    const config = await writeSaasConfig(
      dir,
      `
  - name: cutover-runbooks
    provider: { type: cutover, baseUrl: "${cutover.url}", coreUrl: "${CORE}", userId: 42, userName: rotad-bot }
    schedule: { every: 90d }
    assist: { remindEvery: 4s, deadline: 8s, checkEvery: 300ms }`,
    );
    await writeFile(config, (await readFile(config, 'utf8')).replace('health: { enabled: false }', 'health: { host: 127.0.0.1, port: 0 }'));
    let daemon = DaemonProcess.start(config);
    const label = /Label it exactly: (.+)/.exec(String((await waitForEvent(daemon, 'action-required')).detail))![1]!;
    const token = cutover.createToken('42', label, LIFETIME_S / 86_400);
    secrets.push(token.value);
    expect((await runCli(['submit', 'cutover-runbooks', '--config', config], {}, token.value)).code).toBe(0);
    await daemon.waitForMessage('Rotation completed');
    expect((await daemon.stop()).code).toBe(0);

    // plan and status say why the next rotation comes long before the schedule.
    const expiresAt = Date.parse(token.expires_at!);
    const { current } = await readPolicy(dir, 'cutover-runbooks');
    expect(current?.expiresAt).toBe(expiresAt);
    const opensAt = expiresAt - 12_000;
    const plan = await runCli(['plan', '--config', config]);
    expect(plan.stdout).toContain(`next: ${new Date(opensAt).toISOString().replace(/\.\d{3}Z$/, 'Z')} (expiry)`);
    expect(plan.stdout).toMatch(
      /expiry: the provider says the current credential expires at .*; rotated at .*, a person is asked 12s ahead, so that the request's deadline \(8s\) and one reminder after its escalation fall before it \(rotateBefore 33% would be later\)/,
    );
    const status = JSON.parse((await runCli(['status', '--config', config, '--json'])).stdout) as Array<Record<string, unknown>>;
    expect(status[0]).toMatchObject({ nextReason: 'expiry' });

    // Restarted, the daemon opens the request before the expiry, by itself.
    daemon = DaemonProcess.start(config);
    const { port } = await daemon.waitForMessage('Health endpoints listening');
    // Once the daemon's first look at the policy has run, the metric carries the reason.
    const series = `rotad_next_rotation_timestamp_seconds{policy="cutover-runbooks",reason="expiry"} ${opensAt / 1000}`;
    await eventually(async () => (await (await fetch(`http://127.0.0.1:${String(port)}/metrics`)).text()).includes(series));
    const started = await daemon.waitForMessage('Rotation started', () => true, 30_000);
    expect(started).toMatchObject({ trigger: 'expiry' });
    const request = await waitForEvent(daemon, 'action-required', 0, 30_000);
    expect(Date.parse(String(request.time))).toBeGreaterThanOrEqual(opensAt);
    expect(Date.parse(String(request.time))).toBeLessThan(expiresAt);
    expect(Number(request.deadline)).toBeLessThanOrEqual(expiresAt);
    const label2 = /Label it exactly: (.+)/.exec(String(request.detail))![1]!;
    const next = cutover.createToken('42', label2, 90);
    secrets.push(next.value);
    expect((await runCli(['submit', 'cutover-runbooks', '--config', config], {}, next.value)).code).toBe(0);
    await daemon.waitForMessage('Rotation completed');
    expect(Date.now()).toBeLessThan(expiresAt + 5_000);
    expect((await daemon.stop()).code).toBe(0);
    expect(daemon.entries.filter((e) => e.event === 'credential-expired')).toEqual([]);
    expect((await readPolicy(dir, 'cutover-runbooks')).current?.id).toBe(next.id);
  }, 90_000);
});
