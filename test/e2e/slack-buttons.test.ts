import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DaemonProcess, expectNoSecretsInOutput, runCli } from '../helpers/daemon.js';
import { freePort } from '../helpers/ports.js';
import { admin } from '../helpers/saas.js';
import { eventually, HttpSink } from '../helpers/sinks.js';
import { readPolicy } from '../helpers/store.js';
import { tempDir } from '../helpers/workspace.js';
import { GladlyServer } from '../adapters/providers/gladly/stand-in.js';
import { SlackServer, type BotMessage } from '../adapters/notifiers/slack/stand-in.js';

const EMAIL = 'support-lead@acme.test';
const SUPPORT = 'U0SUPPORT1';
const ONCALL = 'U0ONCALL01';
const GROUPED = 'U0GROUPED1';
const STRANGER = 'U0STRANGER';

const text = (message: BotMessage): string => JSON.stringify(message.blocks);
const lastLine = (message: BotMessage): string => {
  const last = (message.blocks as Array<{ type: string; elements?: Array<{ text: string }> }>).at(-1)!;
  return last.type === 'context' ? last.elements!.map((e) => e.text).join(' ') : '';
};

describe('Slack buttons: act on a request from the message, signed and allowed per action', () => {
  const slack = new SlackServer('xoxb-e2e-bot-token-5f1c', 'C0ROTADOPS', 'e2e-signing-secret-9b3e');
  const gladly = new GladlyServer('acme');
  const reload = new HttpSink();
  let daemon: DaemonProcess;
  let config: string;
  let dir: string;
  let interactions: string;
  const env = { SLACK_BOT_TOKEN: slack.botToken, SLACK_SIGNING_SECRET: slack.signingSecret };
  const secrets: string[] = [slack.botToken, slack.signingSecret];
  const audit = async (): Promise<Array<Record<string, unknown>>> =>
    (await readFile(join(dir, 'audit.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  const handOver = async (): Promise<string> => {
    const token = (await admin(gladly.url, 'POST', `/users/${EMAIL}/tokens`)).token as string;
    secrets.push(token);
    const submitted = await runCli(['submit', 'gladly-prod', '--config', config], env, `${token}\n`);
    expect(submitted.code, submitted.stderr).toBe(0);
    return token;
  };
  const newest = (match: (m: BotMessage) => boolean, since = 0): BotMessage | undefined => slack.posted.slice(since).filter(match).at(-1);

  beforeAll(async () => {
    await Promise.all([slack.start(), gladly.start(), reload.start()]);
    gladly.addUser(EMAIL);
    slack.groups.set('S0ONCALL01', [GROUPED]);
    dir = await tempDir();
    const port = await freePort();
    interactions = `http://127.0.0.1:${port}/v1/slack/interactions`;
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
  audit: { file: ${dir}/audit.jsonl }
  api:
    host: 127.0.0.1
    port: ${port}
    publicUrl: "http://127.0.0.1:${port}"
    slack:
      signingSecretEnv: SLACK_SIGNING_SECRET
      botTokenEnv: SLACK_BOT_TOKEN
      apiUrl: "${slack.apiUrl}"
      allow: { submit: [${SUPPORT}, S0ONCALL01], rotate: [${ONCALL}], rollback: [${ONCALL}] }
stores:
  local: { type: file, path: ${dir}/state/secrets.enc, key: { file: ${dir}/state/store.key, generate: true } }
defaults:
  store: local
  notify: [log, ops]
  assist: { remindEvery: 1d, deadline: 2s, checkEvery: 1h }
notifiers:
  log: { type: log }
  ops: { type: slack, botTokenEnv: SLACK_BOT_TOKEN, channel: ${slack.channel}, apiUrl: "${slack.apiUrl}", events: [action-required, action-overdue, needs-attention] }
policies:
  - name: gladly-prod
    provider: { type: gladly, organization: acme, email: ${EMAIL}, baseUrl: "${gladly.url}" }
    schedule: manual
  - name: billing
    provider: { type: random, length: 32 }
    schedule: manual
    consumers: [ { type: http, url: "${reload.url}/reload", timeout: 2s } ]
`,
    );
    reload.statuses = Array(50).fill(500);
    daemon = DaemonProcess.start(config, env);
    await daemon.waitForMessage('Control API listening');
  });
  afterAll(async () => {
    expect((await daemon.stop()).code).toBe(0);
    await Promise.all([slack.stop(), gladly.stop(), reload.stop()]);
    const posted = JSON.stringify(slack.posted);
    for (const secret of secrets) expect(posted.includes(secret), 'a Slack message holds a secret').toBe(false);
    expectNoSecretsInOutput(secrets);
  });

  it('an overdue request: remind from the button, hand over, then "I deleted it" has rotad confirm the deletion at once', async () => {
    // The first rotation: a token handed over at once.
    await eventually(() => newest((m) => text(m).includes('gladly-prod')) !== undefined, 20_000);
    const first = await handOver();
    await daemon.waitFor((e) => e.msg === 'Rotation completed' && e.policy === 'gladly-prod', 20_000);
    // Its request's message lost its buttons when the rotation ended.
    await eventually(() => slack.posted.filter((m) => text(m).includes('gladly-prod')).every((m) => slack.buttonsOf(m).length === 0), 10_000);

    // The second, asked for and left to run late: the overdue message carries the buttons.
    const since = slack.posted.length;
    expect((await runCli(['rotate', 'gladly-prod', '--config', config], env)).code).toBe(0);
    const isOverdue = (m: BotMessage): boolean => m.text.includes('Action overdue') && text(m).includes('gladly-prod');
    await eventually(() => newest(isOverdue, since) !== undefined, 20_000);
    const overdue = newest(isOverdue, since)!;
    // The request itself carries the hand-over page's button; the overdue notice (an escalation, no link) only the reminder's.
    const request = newest((m) => m.text.includes('Action required') && text(m).includes('gladly-prod'), since)!;
    expect(slack.buttonsOf(request).map((b) => b.action_id)).toEqual(['rotad_open', 'rotad_remind']);
    expect(slack.buttonsOf(request)[0]!.url).toMatch(/\/handover\/gladly-prod\./);
    expect(slack.buttonsOf(overdue).map((b) => b.action_id)).toEqual(['rotad_remind']);

    // Signed by someone else, or too old: refused (401), nothing done.
    const forged = slack.interaction(overdue, 'rotad_remind', SUPPORT);
    forged.headers['x-slack-signature'] = `v0=${'0'.repeat(64)}`;
    expect(await slack.click(interactions, forged)).toBe(401);
    expect(await slack.click(interactions, slack.interaction(overdue, 'rotad_remind', SUPPORT, Math.floor(Date.now() / 1000) - 400))).toBe(401);
    // A user not allowed: told so, nothing done.
    expect(await slack.click(interactions, slack.interaction(overdue, 'rotad_remind', STRANGER))).toBe(200);
    await eventually(() => slack.ephemeral.some((e) => e.user === STRANGER && e.text.includes('may not remind me in 4 h')));

    // "Remind me in 4 h" by the support lead: the next reminder moves, the message says so, its buttons stay.
    const remind = slack.interaction(overdue, 'rotad_remind', SUPPORT);
    expect(await slack.click(interactions, remind)).toBe(200);
    await eventually(() => lastLine(slack.posted.find((m) => m.ts === overdue.ts)!).includes(`<@${SUPPORT}> will be reminded at`));
    const snoozed = (await readPolicy(dir, 'gladly-prod')).state.assist!;
    expect(snoozed.remindAt! - Date.now()).toBeGreaterThan(3.9 * 3_600_000);
    expect(slack.buttonsOf(slack.posted.find((m) => m.ts === overdue.ts)!).length).toBe(1);
    // The same signed request again (a replay): accepted by Slack's rules, acted on once.
    expect(await slack.click(interactions, remind)).toBe(200);
    // A member of an allowed user group may act too.
    expect(await slack.click(interactions, slack.interaction(overdue, 'rotad_remind', GROUPED))).toBe(200);
    await eventually(async () => (await audit()).some((e) => e.actor === `slack:${GROUPED}`));
    expect((await audit()).filter((e) => e.actor === `slack:${SUPPORT}` && e.phase === 'slack' && e.outcome === 'requested')).toHaveLength(1);

    // The token, then the request to delete the old one, with "I deleted it".
    await handOver();
    await eventually(() => newest((m) => text(m).includes('rotad_deleted')) !== undefined, 20_000);
    const deletion = newest((m) => text(m).includes('rotad_deleted'))!;
    expect(slack.buttonsOf(deletion).map((b) => b.action_id)).toEqual(['rotad_deleted', 'rotad_remind']);
    await admin(gladly.url, 'DELETE', `/users/${EMAIL}/tokens/${gladly.tokenId(EMAIL, first)}`);
    const clickedAt = Date.now();
    expect(await slack.click(interactions, slack.interaction(deletion, 'rotad_deleted', SUPPORT))).toBe(200);
    // checkEvery is 1h: only the button makes rotad look now.
    await daemon.waitFor((e) => e.msg === 'Rotation completed' && e.policy === 'gladly-prod', 20_000, 1);
    expect(Date.now() - clickedAt).toBeLessThan(15_000);
    await eventually(() => {
      const now = slack.posted.find((m) => m.ts === deletion.ts)!;
      return slack.buttonsOf(now).length === 0 && lastLine(now).includes('nothing more to do here');
    }, 10_000);
    expect(slack.buttonsOf(slack.posted.find((m) => m.ts === overdue.ts)!)).toEqual([]);
    expect(await audit()).toContainEqual(expect.objectContaining({ policy: 'gladly-prod', phase: 'slack', outcome: 'requested', actor: `slack:${SUPPORT}` }));
    // A click on a finished request: said so, nothing done.
    expect(await slack.click(interactions, slack.interaction({ ...deletion, blocks: deletion.versions[0]!.blocks }, 'rotad_deleted', SUPPORT))).toBe(200);
    await eventually(() => lastLine(slack.posted.find((m) => m.ts === deletion.ts)!).includes('This request is finished'));
  });

  it('a stopped rotation: "Rotate now" by the on-call engineer resumes it, and the message says who', async () => {
    await eventually(() => newest((m) => m.text.includes('needs attention') && text(m).includes('billing')) !== undefined, 20_000);
    const stopped = newest((m) => m.text.includes('needs attention') && text(m).includes('billing'))!;
    expect(slack.buttonsOf(stopped).map((b) => b.action_id)).toEqual(['rotad_rotate', 'rotad_rollback']);
    // The support lead may not rotate.
    expect(await slack.click(interactions, slack.interaction(stopped, 'rotad_rotate', SUPPORT))).toBe(200);
    await eventually(() => slack.ephemeral.some((e) => e.user === SUPPORT && e.text.includes('may not rotate now')));
    reload.statuses = [];
    expect(await slack.click(interactions, slack.interaction(stopped, 'rotad_rotate', ONCALL))).toBe(200);
    await daemon.waitFor((e) => e.msg === 'Rotation completed' && e.policy === 'billing', 20_000);
    const after = slack.posted.find((m) => m.ts === stopped.ts)!;
    expect(slack.buttonsOf(after)).toEqual([]);
    expect(JSON.stringify(after.blocks)).toContain(`<@${ONCALL}> asked rotad to rotate now.`);
    expect(await audit()).toContainEqual(expect.objectContaining({ policy: 'billing', phase: 'request', outcome: 'requested', actor: `slack:${ONCALL}` }));
  });
});
