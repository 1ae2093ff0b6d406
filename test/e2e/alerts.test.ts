import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verify } from '../../src/notifiers/webhook/signature.js';
import { DaemonProcess, expectNoSecretsInOutput } from '../helpers/daemon.js';
import { eventually, HttpSink } from '../helpers/sinks.js';
import { readPolicy } from '../helpers/store.js';
import { tempDir } from '../helpers/workspace.js';

const SIGNING = 'e2e-webhook-signing-secret-51c2';

function config(dir: string, sinkUrl: string): string {
  return `version: 1
daemon:
  stateDir: ${dir}/state
  health: { host: 127.0.0.1, port: 0 }
  audit: { file: ${dir}/audit/rotad-audit.jsonl }
stores:
  local: { type: file, path: ${dir}/state/secrets.enc, key: { file: ${dir}/state/store.key, generate: true } }
notifiers:
  log: { type: log }
  hook: { type: webhook, url: "${sinkUrl}/events", secretEnv: ROTAD_E2E_SIGNING }
  dead: { type: webhook, url: "http://127.0.0.1:1/events", secretEnv: ROTAD_E2E_SIGNING, timeout: 1s }
defaults:
  expiryWarnings: [30d, 7d]
policies:
  - name: watched
    provider: { type: random, length: 40 }
    schedule: { every: 60d }
    maxAge: 10d
`;
}

async function scrape(port: unknown): Promise<string> {
  return (await fetch(`http://127.0.0.1:${String(port)}/metrics`)).text();
}
const value = (metrics: string, series: string): number => Number(new RegExp(`^${series.replace(/[{}"|]/g, '\\$&')} (\\S+)$`, 'm').exec(metrics)?.[1]);

describe('alerts, metrics and audit trail of the running daemon', () => {
  const sink = new HttpSink();
  let dir = '';
  beforeAll(async () => {
    await sink.start();
    dir = await tempDir();
    await writeFile(join(dir, 'rotad.yaml'), config(dir, sink.url));
  });
  afterAll(() => sink.stop());
  const env = { ROTAD_E2E_SIGNING: SIGNING };

  it('rotates while one notifier is dead, sends signed events, exports metrics, and warns once across a restart', async () => {
    const daemon = DaemonProcess.start(join(dir, 'rotad.yaml'), env);
    const { port } = await daemon.waitForMessage('Health endpoints listening');
    const done = await daemon.waitForMessage('Rotation completed');
    // The dead notifier retries in the background; the rotation did not wait for it.
    expect(Number(done.durationMs)).toBeLessThan(2000);
    await eventually(() => sink.json().some((e) => e.type === 'expiry-warning'));
    await eventually(() => sink.json().some((e) => e.type === 'rotation-succeeded'));

    const events = sink.json();
    expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(['rotation-started', 'rotation-succeeded', 'expiry-warning']));
    const warning = events.find((e) => e.type === 'expiry-warning')!;
    expect(warning).toMatchObject({ policy: 'watched', threshold: '30d' }); // maxAge 10d is inside the 30d threshold at once
    for (const request of sink.received) {
      const h = request.headers as Record<string, string>;
      expect(verify(SIGNING, h['x-rotad-timestamp']!, request.body, h['x-rotad-signature']!, Math.floor(Date.now() / 1000))).toBe(true);
    }

    const snapshot = await readPolicy(dir, 'watched');
    const metrics = await scrape(port);
    expect(value(metrics, 'rotad_last_success_timestamp_seconds{policy="watched"}')).toBeCloseTo(snapshot.state.lastRotatedAt! / 1000, 3);
    expect(value(metrics, 'rotad_credential_expiry_timestamp_seconds{policy="watched"}')).toBeCloseTo(
      (snapshot.current!.createdAt + 10 * 86_400_000) / 1000,
      3,
    );
    expect(value(metrics, 'rotad_rotations_total{policy="watched",outcome="succeeded"}')).toBe(1);
    expect(value(metrics, 'rotad_policy_ready{policy="watched"}')).toBe(1);
    expect(value(metrics, 'rotad_rotation_phase{policy="watched",phase="idle"}')).toBe(1);
    expect(value(metrics, 'rotad_needs_attention{policy="watched"}')).toBe(0);
    expect(value(metrics, 'rotad_store_requests_total{store="local",operation="promote",outcome="ok"}')).toBeGreaterThanOrEqual(1);
    expect(value(metrics, 'rotad_provider_requests_total{policy="watched",provider="random",operation="obtain",outcome="ok"}')).toBe(1);
    expect(value(metrics, 'rotad_rotation_duration_seconds_count{policy="watched"}')).toBe(1);
    expect(value(metrics, 'rotad_notifications_total{notifier="hook",outcome="delivered"}')).toBeGreaterThanOrEqual(3);
    const failed = await daemon.waitFor((e) => e.msg === 'Notification failed, retrying' && e.notifier === 'dead');
    expect(failed.error).toMatchObject({ code: 'NOTIFIER_FAILED' });
    expect((await daemon.stop()).code).toBe(0);

    // Restart: the threshold was recorded in the store, so it does not fire again.
    const restarted = DaemonProcess.start(join(dir, 'rotad.yaml'), env);
    const second = await restarted.waitForMessage('Health endpoints listening');
    // Once the metrics show the policy, the restarted daemon has looked at it (and its alerts).
    await eventually(async () => (await scrape(second.port)).includes('rotad_credential_expiry_timestamp_seconds{policy="watched"}'));
    expect((await restarted.stop()).code).toBe(0);
    expect(sink.json().filter((e) => e.type === 'expiry-warning')).toHaveLength(1);

    const secret = snapshot.current!.value.reveal();
    expect(sink.received.map((r) => r.body).join('\n')).not.toContain(secret);
    expectNoSecretsInOutput([secret]);
  });

  it('audit trail: one event per phase, in the log stream and the file, with a keyed fingerprint', async () => {
    const lines = (await readFile(join(dir, 'audit/rotad-audit.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => l.phase)).toEqual(['obtain', 'verify', 'promote', 'consumers', 'grace', 'revoke', 'complete']);
    for (const line of lines)
      expect(line).toMatchObject({ type: 'audit', policy: 'watched', outcome: 'completed', actor: 'schedule', rotationId: lines[0]!.rotationId });
    const { current } = await readPolicy(dir, 'watched');
    const fingerprint = String(lines[0]!.fingerprint);
    expect(fingerprint).toMatch(/^[0-9a-f]{16}$/);
    expect(lines[1]!.fingerprint).toBe(fingerprint);
    expect(createHash('sha256').update(current!.value.reveal()).digest('hex').startsWith(fingerprint), 'keyed, not a plain hash').toBe(false);
    expect(JSON.stringify(lines)).not.toContain(current!.value.reveal());
  });
});
