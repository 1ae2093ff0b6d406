import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/clock.js';
import { silentLogger } from '../../src/observability/logger.js';
import { notifierRegistry } from '../../src/notifiers/registry.js';
import type { Notifier, RotationEvent } from '../../src/notifiers/types.js';
import { SaasServer, type Reply } from '../servers/saas/base.js';
import { PagerDutyServer } from './notifiers/pagerduty/stand-in.js';
import { SlackServer } from './notifiers/slack/stand-in.js';
import { TeamsServer } from './notifiers/teams/stand-in.js';

/** A receiver of the signed webhook notifier: takes every POST, 204. */
class Receiver extends SaasServer {
  protected admin(): Reply {
    return { status: 404, body: {} };
  }
  protected handle(): Reply {
    return { status: 204, body: '' };
  }
}

/**
 * Each answer a notifier's endpoint can give, and what rotad does with it: retried with backoff
 * (NOTIFIER_FAILED, retryable), or not sent again (NOTIFIER_REFUSED: the endpoint refused the
 * message itself). docs/alerts.md says the same.
 */
const ROWS: Array<{ answer: string; fault: Record<string, unknown>; code: string; retried: boolean }> = [
  { answer: '5xx', fault: { status: 503 }, code: 'NOTIFIER_FAILED', retried: true },
  { answer: 'no answer within timeout', fault: { delayMs: 1500 }, code: 'NOTIFIER_FAILED', retried: true },
  { answer: '429', fault: { status: 429, headers: { 'retry-after': '3' } }, code: 'NOTIFIER_FAILED', retried: true },
  { answer: '408', fault: { status: 408 }, code: 'NOTIFIER_FAILED', retried: true },
  { answer: '401', fault: { status: 401 }, code: 'NOTIFIER_REFUSED', retried: false },
  { answer: '403', fault: { status: 403 }, code: 'NOTIFIER_REFUSED', retried: false },
  { answer: '404 (a deleted webhook or flow)', fault: { status: 404 }, code: 'NOTIFIER_REFUSED', retried: false },
];

const EVENT: RotationEvent = {
  type: 'needs-attention',
  policy: 'billing',
  rotationId: 'rotation-fault-matrix',
  phase: 'consumers',
  code: 'CONSUMER_FAILED',
  alertKey: 'rotation/rotation-fault-matrix',
  message: 'the reload endpoint answered 500',
  at: Date.parse('2026-12-05T12:00:00Z'),
};

interface Case {
  name: string;
  server: SaasServer;
  notifier: Notifier;
}

describe('every HTTP notifier maps each answer of its endpoint to retried or refused', () => {
  const slack = new SlackServer();
  const bot = new SlackServer('xoxb-fault-matrix', 'C0FAULTS01');
  const teams = new TeamsServer();
  const pagerduty = new PagerDutyServer('f'.repeat(32));
  const receiver = new Receiver();
  let cases: Case[] = [];

  beforeAll(async () => {
    await Promise.all([slack.start(), bot.start(), teams.start(), pagerduty.start(), receiver.start()]);
    Object.assign(process.env, {
      FAULTS_SLACK_URL: slack.webhookUrl,
      FAULTS_SLACK_BOT: bot.botToken,
      FAULTS_TEAMS_URL: teams.flowUrl,
      FAULTS_PD_KEY: pagerduty.routingKey,
      FAULTS_WEBHOOK_SECRET: 'fault-matrix-signing-secret',
    });
    const deps = { logger: silentLogger(), clock: systemClock, configDir: '/' };
    const create = (options: Record<string, unknown>): Notifier => {
      const definition = notifierRegistry[options.type as keyof typeof notifierRegistry];
      return definition.create(definition.schema.parse({ timeout: '1s', ...options }) as never, deps as never) as Notifier;
    };
    cases = [
      { name: 'slack (incoming webhook)', server: slack, notifier: create({ type: 'slack', webhookUrlEnv: 'FAULTS_SLACK_URL' }) },
      { name: 'slack (bot)', server: bot, notifier: create({ type: 'slack', botTokenEnv: 'FAULTS_SLACK_BOT', channel: bot.channel, apiUrl: bot.apiUrl }) },
      { name: 'teams', server: teams, notifier: create({ type: 'teams', webhookUrlEnv: 'FAULTS_TEAMS_URL' }) },
      { name: 'pagerduty', server: pagerduty, notifier: create({ type: 'pagerduty', routingKeyEnv: 'FAULTS_PD_KEY', url: pagerduty.enqueueUrl }) },
      { name: 'webhook', server: receiver, notifier: create({ type: 'webhook', url: `${receiver.url}/hook`, secretEnv: 'FAULTS_WEBHOOK_SECRET' }) },
    ];
  });
  afterAll(async () => {
    await Promise.all([slack.stop(), bot.stop(), teams.stop(), pagerduty.stop(), receiver.stop()]);
  });

  it('each row, against each notifier; and each delivers once the fault is gone', async () => {
    for (const row of ROWS) {
      for (const c of cases) {
        c.server.faults.push({ count: 1, ...row.fault } as never);
        const error = await c.notifier.notify(EVENT).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error, `${row.answer}: ${c.name}`).toMatchObject({ code: row.code, retryable: row.retried });
        await c.server.drained();
        c.server.faults.length = 0;
        await expect(c.notifier.notify(EVENT), `${c.name} after ${row.answer}`).resolves.toBeUndefined();
      }
    }
  });

  it('a 2xx that is not what the API answers: the Slack bot retries it; the others read only the status', async () => {
    for (const c of cases) {
      c.server.faults.push({ count: 1, garbage: true } as never);
      const outcome = await c.notifier.notify(EVENT).then(
        () => 'delivered',
        (e: { code: string; retryable: boolean }) => `${e.code}${e.retryable ? ' (retried)' : ''}`,
      );
      expect(outcome, c.name).toBe(c.name === 'slack (bot)' ? 'NOTIFIER_FAILED (retried)' : 'delivered');
      c.server.faults.length = 0;
    }
  });
});
