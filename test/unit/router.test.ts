import { describe, expect, it } from 'vitest';
import { systemClock } from '../../src/clock.js';
import { NotificationRouter } from '../../src/notifiers/router.js';
import type { Notifier, RotationEvent } from '../../src/notifiers/types.js';
import { silentLogger } from '../../src/observability/logger.js';
import { eventually } from '../helpers/sinks.js';

function recorder(into: string[], name: string): Notifier {
  return {
    notify: async (e: RotationEvent) => {
      into.push(`${name}:${e.policy}:${e.type}`);
    },
  };
}

describe('notification routing', () => {
  it("sends a policy's events to its notifiers, and overdue/expired ones to its escalation list too", async () => {
    const got: string[] = [];
    const router = new NotificationRouter(
      new Map([
        ['team', { notifier: recorder(got, 'team') }],
        ['pager', { notifier: recorder(got, 'pager') }],
        ['other', { notifier: recorder(got, 'other') }],
      ]),
      { clock: systemClock, logger: silentLogger() },
    );
    const notify = router.forPolicy('db', ['team'], ['pager']);
    await notify({ type: 'rotation-succeeded', message: 'ok' });
    await notify({ type: 'expiry-warning', message: 'soon' });
    await notify({ type: 'rotation-overdue', message: 'late' });
    await notify({ type: 'credential-expired', message: 'gone' });
    await eventually(() => got.length >= 6);
    await router.close(100);
    expect(got.sort()).toEqual([
      'pager:db:credential-expired',
      'pager:db:rotation-overdue',
      'team:db:credential-expired',
      'team:db:expiry-warning',
      'team:db:rotation-overdue',
      'team:db:rotation-succeeded',
    ]);
  });
});
