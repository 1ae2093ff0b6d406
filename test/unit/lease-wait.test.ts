import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/observability/logger.js';
import { IDLE_STATE } from '../../src/policy-state.js';
import { leftByOtherDaemon } from '../../src/rotation/lease.js';
import { Scheduler } from '../../src/scheduler/scheduler.js';
import { systemClock } from '../../src/clock.js';
import { FakeClock, MemoryStore, policyRuntime, recordingProvider, type Call } from '../helpers/engine-doubles.js';
import { ManualClock } from '../helpers/manual-clock.js';

/** A policy whose rotation was left in progress under another holder's lease, and a scheduler that logs into `lines`. */
function leftInProgress(holder: string, leftOver: boolean) {
  const calls: Call[] = [];
  // The engine runs on real time; the scheduler's timers move only when the test says.
  const clock = systemClock;
  const store = new MemoryStore(calls);
  store.state = {
    ...IDLE_STATE,
    phase: 'obtain',
    rotationId: 'r-1',
    trigger: 'schedule',
    startedAt: clock.now(),
    lease: { owner: holder, until: clock.now() + 60_000 },
  };
  const lines: Array<Record<string, unknown>> = [];
  const logger = createLogger({
    destination: new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
        done();
      },
    }),
  });
  const owner = 'daemon:here:2:bbbbbbbb';
  const policy = {
    ...policyRuntime({ store, provider: recordingProvider(calls), clock: new FakeClock() }),
    clock,
    logger,
    owner,
    leftOverLease: leftOver ? leftByOtherDaemon(owner) : undefined,
  };
  const outcomes: string[] = [];
  const scheduler = new Scheduler(new Map([['p', policy]]), {
    concurrency: 1,
    clock: new ManualClock(),
    logger,
    onOutcome: (_p, o) => outcomes.push(o.status),
  });
  return { store, lines, scheduler, outcomes };
}

describe('a rotation left under another holder lease', () => {
  it('is waited for, and the log says for whom and until when, once', async () => {
    const { lines, scheduler, outcomes } = leftInProgress('cli:there:1:aaaaaaaa', false);
    scheduler.start();
    await scheduler.settled();
    await scheduler.wake(['p']);
    await scheduler.settled();
    const waits = lines.filter((l) => l.msg === 'Waiting for another holder of the policy: its lease runs until then');
    expect(waits).toHaveLength(1);
    expect(waits[0]).toMatchObject({ holder: 'cli:there:1:aaaaaaaa', until: expect.stringMatching(/^\d{4}-/) });
    expect(outcomes).toEqual([]);
    await scheduler.stop(1000);
  });

  it('is resumed at once on a file store this daemon claimed, when the holder is another daemon (one that stopped)', async () => {
    const { store, lines, scheduler, outcomes } = leftInProgress('daemon:here:1:aaaaaaaa', true);
    scheduler.start();
    await scheduler.settled();
    expect(outcomes).toEqual(['completed']);
    expect(store.state.lastRotationId).toBe('r-1');
    expect(lines.some((l) => l.msg === 'Waiting for another holder of the policy: its lease runs until then')).toBe(false);
    await scheduler.stop(1000);
  });
});
