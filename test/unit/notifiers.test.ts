import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/clock.js';
import { DeliveryQueue } from '../../src/notifiers/delivery.js';
import { emailNotifier } from '../../src/notifiers/email/index.js';
import { slackNotifier } from '../../src/notifiers/slack/index.js';
import type { RotationEvent } from '../../src/notifiers/types.js';
import { webhookNotifier } from '../../src/notifiers/webhook/index.js';
import { verify } from '../../src/notifiers/webhook/signature.js';
import { silentLogger } from '../../src/observability/logger.js';
import { FakeClock } from '../helpers/engine-doubles.js';
import { eventually, HttpSink, SmtpSink } from '../helpers/sinks.js';

const deps = { logger: silentLogger(), clock: systemClock, configDir: '/' };
const EVENT: RotationEvent = {
  type: 'needs-attention',
  policy: 'gladly-prod',
  rotationId: 'rot-9',
  phase: 'consumers',
  code: 'CONSUMER_FAILED',
  message: 'reload hook answered 500; the old credential is still valid',
  at: Date.parse('2026-11-22T10:00:00Z'),
};
const SECRET = 'webhook-signing-secret-7b3e';

describe('notifiers against local sinks', () => {
  const sink = new HttpSink();
  const smtp = new SmtpSink();
  beforeAll(async () => {
    await sink.start();
    await smtp.start();
    process.env.ROTAD_TEST_WEBHOOK_SECRET = SECRET;
    process.env.ROTAD_TEST_SLACK_URL = `${'http'}://127.0.0.1:${new URL(sink.url).port}/services/T000/B000/slack-url-token`;
  });
  afterAll(async () => {
    await sink.stop();
    await smtp.stop();
  });

  it('webhook: a documented JSON event, signed over timestamp and raw body; tampering and replays are refused', async () => {
    const notifier = webhookNotifier.create({ type: 'webhook', url: `${sink.url}/rotad`, secretEnv: 'ROTAD_TEST_WEBHOOK_SECRET', timeout: '5s' }, deps);
    await notifier.notify(EVENT);
    const request = sink.received.at(-1)!;
    const { 'x-rotad-timestamp': ts, 'x-rotad-signature': sig, 'x-rotad-event-id': id } = request.headers as Record<string, string>;
    const now = Math.floor(Date.now() / 1000);
    expect(verify(SECRET, ts!, request.body, sig!, now)).toBe(true);
    expect(verify(SECRET, ts!, request.body.replace('gladly-prod', 'gladly-test'), sig!, now)).toBe(false);
    expect(verify('another-secret', ts!, request.body, sig!, now)).toBe(false);
    expect(verify(SECRET, ts!, request.body, sig!, now + 3600), 'a replay an hour later').toBe(false);
    expect(JSON.parse(request.body)).toEqual({
      version: 1,
      id,
      type: 'needs-attention',
      policy: 'gladly-prod',
      rotationId: 'rot-9',
      phase: 'consumers',
      code: 'CONSUMER_FAILED',
      message: EVENT.message,
      at: '2026-11-22T10:00:00.000Z',
    });
    expect(request.body).not.toContain(SECRET);
  });

  it('slack: a readable message with headline, what to do and the facts', async () => {
    const notifier = slackNotifier.create({ type: 'slack', webhookUrlEnv: 'ROTAD_TEST_SLACK_URL', apiUrl: 'https://slack.com/api', timeout: '5s' });
    await notifier.notify(EVENT);
    const request = sink.received.at(-1)!;
    expect(request.path).toBe('/services/T000/B000/slack-url-token');
    const message = JSON.parse(request.body) as { text: string; blocks: unknown[] };
    expect(message.text).toBe(':rotating_light: Rotation needs attention: `gladly-prod` — reload hook answered 500; the old credential is still valid');
    expect(JSON.stringify(message.blocks)).toContain('*Code:* `CONSUMER_FAILED`');
    // A request with a hand-over link carries it in the plain text too (notifications, clients without blocks).
    await notifier.notify({ ...EVENT, type: 'action-required', handoverUrl: 'https://rotad.test/handover/gladly-prod.AAAAAAAAAAAAAAAA#s3cr3t' });
    const linked = JSON.parse(sink.received.at(-1)!.body) as { text: string };
    expect(linked.text).toMatch(/\nHand-over page: https:\/\/rotad\.test\/handover\/gladly-prod\.AAAAAAAAAAAAAAAA#s3cr3t$/);
  });

  it('slack: a missing webhook URL variable is a clear error', async () => {
    const notifier = slackNotifier.create({ type: 'slack', webhookUrlEnv: 'ROTAD_TEST_UNSET_SLACK', apiUrl: 'https://slack.com/api', timeout: '5s' });
    await expect(notifier.notify(EVENT)).rejects.toThrow(/the Slack webhook URL is not set \(environment variable ROTAD_TEST_UNSET_SLACK\)/);
  });

  it('email: a plain-text mail over SMTP', async () => {
    const notifier = emailNotifier.create({
      type: 'email',
      host: '127.0.0.1',
      port: smtp.port,
      secure: false,
      passwordEnv: 'X',
      from: 'rotad@example.com',
      to: ['oncall@example.com'],
      timeout: '5s',
    });
    await notifier.notify(EVENT);
    const mail = smtp.messages.at(-1)!;
    expect(mail).toMatch(/Subject: \[rotad\] Rotation needs attention: gladly-prod/);
    expect(mail).toMatch(/To: oncall@example\.com/);
    expect(mail).toMatch(/Code: {5}CONSUMER_FAILED/);
  });

  it('a failing receiver is retried with backoff until it accepts; send() never waits', async () => {
    const clock = new FakeClock();
    const outcomes: string[] = [];
    const queue = new DeliveryQueue({
      name: 'hook',
      notifier: webhookNotifier.create({ type: 'webhook', url: `${sink.url}/flaky`, secretEnv: 'ROTAD_TEST_WEBHOOK_SECRET', timeout: '5s' }, deps),
      clock,
      logger: silentLogger(),
      onOutcome: (_, o) => outcomes.push(o),
    });
    sink.statuses = [500, 503];
    const before = sink.received.filter((r) => r.path === '/flaky').length;
    const started = Date.now();
    queue.send(EVENT);
    expect(Date.now() - started).toBeLessThan(20);
    await eventually(() => outcomes.length > 0);
    expect(outcomes).toEqual(['delivered']);
    expect(sink.received.filter((r) => r.path === '/flaky').length - before).toBe(3);
    expect(clock.sleeps).toEqual([500, 1000]);
  });

  it('a dead receiver gives up after the attempts, without blocking anything', async () => {
    const outcomes: string[] = [];
    const queue = new DeliveryQueue({
      name: 'dead',
      notifier: webhookNotifier.create({ type: 'webhook', url: 'http://127.0.0.1:1/x', secretEnv: 'ROTAD_TEST_WEBHOOK_SECRET', timeout: '1s' }, deps),
      clock: new FakeClock(),
      logger: silentLogger(),
      attempts: 3,
      onOutcome: (_, o) => outcomes.push(o),
    });
    queue.send(EVENT);
    await eventually(() => outcomes.length > 0);
    expect(outcomes).toEqual(['failed']);
    const dead = webhookNotifier.create({ type: 'webhook', url: 'http://127.0.0.1:1/x', secretEnv: 'ROTAD_TEST_WEBHOOK_SECRET', timeout: '1s' }, deps);
    await expect(dead.notify(EVENT)).rejects.toMatchObject({ code: 'NOTIFIER_FAILED', retryable: true });
  });

  it('event filters: a notifier only gets the types it asked for', async () => {
    const got: string[] = [];
    const queue = new DeliveryQueue({
      name: 'f',
      notifier: {
        notify: async (e) => {
          got.push(e.type);
        },
      },
      events: ['needs-attention'],
      clock: systemClock,
      logger: silentLogger(),
    });
    queue.send({ ...EVENT, type: 'rotation-succeeded' });
    queue.send(EVENT);
    await eventually(() => got.length > 0);
    await queue.close(100);
    expect(got).toEqual(['needs-attention']);
  });
});
