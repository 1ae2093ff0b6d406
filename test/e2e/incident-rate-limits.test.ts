import { describe, expect, it } from 'vitest';
import { DaemonProcess, expectNoSecretsInOutput, runCli } from '../helpers/daemon.js';
import { waitForEvent, writeSaasConfig } from '../helpers/saas.js';
import { eventually } from '../helpers/sinks.js';
import { readPolicy, secretsOf } from '../helpers/store.js';
import { tempDir } from '../helpers/workspace.js';
import { GladlyServer } from '../adapters/providers/gladly/stand-in.js';

const HOOKS = 40;
const EMAIL = 'api@acme.test';

/**
 * An incident over 40 policies whose consumer is a Gladly webhook, all behind one Gladly
 * organization. Gladly allows 10 requests per second per method and answers 429 above that (the
 * stand-in does exactly this): rotad's client-side limit, shared by every policy that calls the
 * organization, keeps an incident under it as it keeps routine rotations.
 */
describe('an incident over many policies keeps to the vendor rate limit', () => {
  it('rotates 40 Gladly webhook secrets at once without a single 429, within what 10 requests per second allow', async () => {
    const gladly = await new GladlyServer('acme').start();
    gladly.addUser(EMAIL);
    for (let i = 0; i < HOOKS; i += 1) gladly.webhooks.set(`wh-${i}`, { id: `wh-${i}`, url: `https://hooks.acme.test/${i}`, enabled: true });
    const dir = await tempDir();
    const gladlyPolicy = `  - name: gladly-prod
    provider: { type: gladly, organization: acme, email: ${EMAIL}, baseUrl: "${gladly.url}" }
    schedule: manual
`;
    // First the Gladly token the webhooks are updated with.
    let config = await writeSaasConfig(dir, gladlyPolicy);
    let daemon = DaemonProcess.start(config);
    await waitForEvent(daemon, 'action-required');
    const token = gladly.createToken(EMAIL).value;
    expect((await runCli(['submit', 'gladly-prod', '-c', config], {}, `${token}\n`)).code).toBe(0);
    await eventually(async () => (await readPolicy(dir, 'gladly-prod')).state.phase === 'idle');
    expect((await daemon.stop()).code).toBe(0);
    // The limit is kept per daemon process: the next one starts once this one's last second has passed.
    await new Promise((r) => setTimeout(r, 1_500));

    const hooks = Array.from(
      { length: HOOKS },
      (_, i) => `  - name: hook-${i}
    labels: { kind: webhook }
    provider: { type: random, length: 40 }
    schedule: { every: 30d }
    consumers:
      - { type: gladly-webhook, webhookId: wh-${i}, auth: { policy: gladly-prod }, set: header, header: X-Secret, baseUrl: "${gladly.url}" }
`,
    ).join('');
    config = await writeSaasConfig(dir, `${gladlyPolicy}${hooks}`);
    daemon = DaemonProcess.start(config);
    const secrets: string[] = [token];
    try {
      // Every hook's first secret, then the incident over all of them.
      await eventually(async () => {
        for (let i = 0; i < HOOKS; i += 1) if ((await readPolicy(dir, `hook-${i}`)).state.lastRotatedAt === undefined) return false;
        return true;
      }, 60_000);
      const before = gladly.calls.filter((c) => c.path.includes('/webhooks/')).length;
      const started = Date.now();
      const incident = await runCli(['rotate', '-c', config, '-l', 'kind=webhook', '--incident', '--reason', 'INC-9: webhook secrets in a log', '--wait']);
      const seconds = (Date.now() - started) / 1000;
      expect(incident.code).toBe(0);
      const calls = gladly.calls.filter((c) => c.path.includes('/webhooks/')).length - before;
      expect(calls).toBeGreaterThanOrEqual(HOOKS);
      for (let i = 0; i < HOOKS; i += 1) {
        const snapshot = await readPolicy(dir, `hook-${i}`);
        expect(snapshot.state.history.at(-1)).toMatchObject({ outcome: 'succeeded', incident: 'INC-9: webhook secrets in a log' });
        expect(gladly.webhooks.get(`wh-${i}`)!.headers!['X-Secret']).toBe(snapshot.current!.value.reveal());
        secrets.push(...secretsOf(snapshot));
      }
      // Not one request over Gladly's limit, though 40 rotations ran at once (and 40 first rotations before them).
      expect(gladly.calls.filter((c) => c.status === 429)).toEqual([]);
      console.log(`incident over ${HOOKS} Gladly webhooks: ${calls} webhook calls in ${seconds.toFixed(1)} s, 0 answered 429`);
    } finally {
      expect((await daemon.stop()).code).toBe(0);
      await gladly.stop();
    }
    expectNoSecretsInOutput(secrets);
  }, 120_000);
});
