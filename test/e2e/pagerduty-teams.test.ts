import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DaemonProcess, expectNoSecretsInOutput, runCli } from '../helpers/daemon.js';
import { admin } from '../helpers/saas.js';
import { eventually, HttpSink } from '../helpers/sinks.js';
import { tempDir } from '../helpers/workspace.js';
import { GladlyServer } from '../adapters/providers/gladly/stand-in.js';
import { PagerDutyServer } from '../adapters/notifiers/pagerduty/stand-in.js';
import { TeamsServer } from '../adapters/notifiers/teams/stand-in.js';
import { freePort } from '../helpers/ports.js';

const EMAIL = 'oncall-user@acme.test';

describe('PagerDuty and Microsoft Teams notifiers against stand-ins of their documented APIs', () => {
  const routingKey = randomBytes(16).toString('hex');
  const pagerduty = new PagerDutyServer(routingKey);
  const teams = new TeamsServer();
  const gladly = new GladlyServer('acme');
  const reload = new HttpSink();
  let daemon: DaemonProcess;
  let config: string;
  const env: Record<string, string> = {};
  const secrets: string[] = [routingKey];

  beforeAll(async () => {
    await Promise.all([pagerduty.start(), teams.start(), gladly.start(), reload.start()]);
    gladly.addUser(EMAIL);
    const dir = await tempDir();
    const apiPort = await freePort();
    Object.assign(env, { PAGERDUTY_ROUTING_KEY: routingKey, TEAMS_WEBHOOK_URL: teams.flowUrl, WRONG_ROUTING_KEY: randomBytes(16).toString('hex') });
    secrets.push(teams.flowUrl, env.WRONG_ROUTING_KEY!);
    config = join(dir, 'rotad.yaml');
    await writeFile(
      config,
      `version: 1
daemon:
  stateDir: ${dir}/state
  health: { enabled: false }
  retry: { attempts: 2, initialDelay: 20ms, maxDelay: 100ms }
  shutdownTimeout: 5s
  watchConfig: 0s
  api: { host: 127.0.0.1, port: ${apiPort}, publicUrl: "http://127.0.0.1:${apiPort}" }
stores:
  local: { type: file, path: ${dir}/state/secrets.enc, key: { file: ${dir}/state/store.key, generate: true } }
defaults:
  store: local
  notify: [log, pager, channel, misconfigured]
  assist: { remindEvery: 1h, deadline: 2s, checkEvery: 300ms }
notifiers:
  log: { type: log }
  pager:
    type: pagerduty
    url: "${pagerduty.enqueueUrl}"
    links: { dashboard: "https://rotad.example.com/ui/policies/{policy}", runbook: "https://wiki.example.com/rotad#{code}" }
  channel: { type: teams }
  misconfigured: { type: pagerduty, url: "${pagerduty.enqueueUrl}", routingKeyEnv: WRONG_ROUTING_KEY, events: [needs-attention] }
policies:
  - name: billing
    provider: { type: random, length: 32 }
    schedule: manual
    consumers: [ { type: http, url: "${reload.url}/reload", timeout: 2s } ]
  - name: gladly-support
    provider: { type: gladly, organization: acme, email: ${EMAIL}, baseUrl: "${gladly.url}" }
    schedule: manual
`,
    );
    // The reload endpoint fails until the test mends it: the first rotation of billing stops.
    reload.statuses = Array(50).fill(500);
    // PagerDuty throttles the first two events: they are retried.
    await admin(pagerduty.url, 'POST', '/faults', { status: 429, count: 2, match: 'POST /v2/enqueue' });
    daemon = DaemonProcess.start(config, env);
  });
  afterAll(async () => {
    expect((await daemon.stop()).code).toBe(0);
    await Promise.all([pagerduty.stop(), teams.stop(), gladly.stop(), reload.stop()]);
    // No secret in what PagerDuty and Teams were sent (the routing key goes only as routing_key).
    const sent = JSON.stringify([pagerduty.alerts, teams.cards]);
    for (const secret of secrets) expect(sent.includes(secret), 'an alert or a card holds a secret').toBe(false);
    expectNoSecretsInOutput(secrets);
  });

  it('opens a PagerDuty alert for a stopped rotation (after two 429s) and resolves it when its retry completes', async () => {
    const stopped = await daemon.waitFor((e) => e.msg === 'Rotation needs attention' && e.policy === 'billing', 20_000);
    const key = `rotad/billing/rotation/${String(stopped.rotation)}`;
    await eventually(() => pagerduty.open(key) !== undefined, 15_000);
    const alert = pagerduty.open(key)!;
    expect(alert).toMatchObject({ severity: 'error', source: 'rotad', status: 'triggered' });
    expect(alert.summary).toMatch(/^Rotation needs attention: billing — /);
    expect(alert.links).toEqual([
      { href: 'https://rotad.example.com/ui/policies/billing', text: 'rotad: billing' },
      { href: 'https://wiki.example.com/rotad#CONSUMER_FAILED', text: 'Runbook' },
    ]);
    expect(alert.customDetails).toMatchObject({ policy: 'billing', code: 'CONSUMER_FAILED', rotation: stopped.rotation });
    expect(pagerduty.calls.filter((c) => c.status === 429)).toHaveLength(2);

    // The wrong routing key is refused (400) once and not sent again.
    await daemon.waitFor((e) => e.msg === 'Notification could not be delivered' && e.notifier === 'misconfigured');
    const refused = daemon.entries.find((e) => e.msg === 'Notification could not be delivered' && e.notifier === 'misconfigured')!;
    expect(refused).toMatchObject({ error: { code: 'NOTIFIER_REFUSED' } });
    // At most one 429 before it (the faults went to whichever event came first); never a second 400.
    expect(Number(refused.attempts)).toBeLessThanOrEqual(2);
    expect(pagerduty.calls.filter((c) => c.status === 400)).toHaveLength(1);

    reload.statuses = [];
    const resumed = await runCli(['rotate', 'billing', '--config', config], env);
    expect(resumed.code, resumed.stderr).toBe(0);
    await daemon.waitFor((e) => e.msg === 'Rotation completed' && e.policy === 'billing', 20_000);
    await eventually(() => pagerduty.alerts.find((a) => a.dedupKey === key)?.status === 'resolved', 15_000);
    expect(pagerduty.alerts.filter((a) => a.dedupKey === key)).toHaveLength(1);
  });

  it('opens a warning for an overdue request to a person, resolved once the token is handed over and the rotation completes', async () => {
    const asked = await daemon.waitFor((e) => e.msg === 'Waiting for a person' && e.policy === 'gladly-support', 20_000);
    const key = `rotad/gladly-support/rotation/${String(asked.rotation)}`;
    await eventually(() => pagerduty.open(key) !== undefined, 20_000);
    expect(pagerduty.open(key)).toMatchObject({ severity: 'warning' });
    expect(pagerduty.open(key)!.summary).toMatch(/^Action overdue: gladly-support — /);

    // Teams got the request as an Adaptive Card with the hand-over page's button.
    const request = teams.cards.find((c) => JSON.stringify(c.body).includes('Action required: gladly-support'))!;
    expect(request.version).toBe('1.4');
    expect(request.actions).toEqual([
      { type: 'Action.OpenUrl', title: 'Open the one-time hand-over page', url: expect.stringMatching(/\/handover\//) as string },
    ]);
    const facts = request.body.find((b) => b.type === 'FactSet') as { facts: Array<{ title: string; value: string }> };
    expect(facts.facts.map((f) => f.title)).toEqual(expect.arrayContaining(['Policy', 'Please act by']));

    const token = (await admin(gladly.url, 'POST', `/users/${EMAIL}/tokens`)).token as string;
    secrets.push(token);
    const submitted = await runCli(['submit', 'gladly-support', '--config', config], env, `${token}\n`);
    expect(submitted.code, submitted.stderr).toBe(0);
    await daemon.waitFor((e) => e.msg === 'Rotation completed' && e.policy === 'gladly-support', 20_000);
    await eventually(() => pagerduty.alerts.find((a) => a.dedupKey === key)?.status === 'resolved', 15_000);
    // Successful rotations without trouble open and resolve nothing.
    expect(pagerduty.accepted.filter((e) => e.dedupKey.startsWith('rotad/gladly-support/') && e.dedupKey !== key)).toEqual([]);
  });
});
