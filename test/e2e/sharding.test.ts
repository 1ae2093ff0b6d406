import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { servingReplica } from '../../src/scheduler/replica-roster.js';
import { DaemonProcess, expectNoSecretsInOutput, runCli, type LogEntry } from '../helpers/daemon.js';
import { openStore, STORE_KINDS } from '../helpers/store-kinds.js';
import { tempDir, withStoreTimeout } from '../helpers/workspace.js';

const POLICIES = Array.from({ length: 24 }, (_, i) => `shard-${String(i).padStart(2, '0')}`);
const HEARTBEAT_MS = 1_000;

async function replicaConfig(dir: string, index: number, store: Record<string, unknown>): Promise<string> {
  const path = join(dir, `rotad-${index}.yaml`);
  await writeFile(
    path,
    `version: 1
daemon:
  stateDir: ${dir}/state-${index}
  health: { enabled: false }
  retry: { attempts: 3, initialDelay: 10ms, maxDelay: 50ms }
  shutdownTimeout: 5s
  lease: 4s
  watchConfig: 0s
  sharding: { heartbeat: ${HEARTBEAT_MS}ms }
stores:
  shared: ${JSON.stringify(withStoreTimeout(store, '2s'))}
notifiers:
  log: { type: log }
policies:
${POLICIES.map((name) => `  - { name: ${name}, provider: { type: random, length: 40 }, schedule: { every: 30d }, grace: 0s }`).join('\n')}
`,
  );
  return path;
}

/** Waits until every policy has a credential and nothing is requested or running. */
async function settled(store: Record<string, unknown>): Promise<void> {
  const handle = openStore(store);
  const deadline = Date.now() + 60_000;
  for (;;) {
    const states = await Promise.all(POLICIES.map((name) => handle.read({ name })));
    if (states.every((s) => s.current !== undefined && s.state.phase === 'idle' && s.state.requestedAt === undefined)) return;
    if (Date.now() > deadline) throw new Error('the fleet did not settle in 60 s');
    await new Promise((r) => setTimeout(r, 200));
  }
}

const replicasSeen = (count: number) => (e: LogEntry) => e.count === count;
/** The policies whose rotation for a request the daemon started, in its log lines from `from` on. */
const startedAfter = (daemon: DaemonProcess, from: number): string[] =>
  daemon.lines
    .slice(from)
    .flatMap((line) => (line.startsWith('{') ? [JSON.parse(line) as LogEntry] : []))
    .filter((e) => e.msg === 'Rotation started' && e.trigger === 'cli')
    .map((e) => String(e.policy));

describe('daemon.sharding: two daemons on OpenBao split the fleet', () => {
  it('each serves its own share of a rotate --all; a killed one is taken over within five heartbeats, a stopped one at the next', async () => {
    const dir = await tempDir();
    const store = await STORE_KINDS.find((k) => k.type === 'vault')!.options();
    const [configA, configB] = [await replicaConfig(dir, 0, store), await replicaConfig(dir, 1, store)];
    const a = DaemonProcess.start(configA);
    const b = DaemonProcess.start(configB);
    try {
      const owners = [String((await a.waitForMessage('rotad started')).owner), String((await b.waitForMessage('rotad started')).owner)];
      await a.waitForMessage('Replicas sharing the fleet', replicasSeen(2));
      await b.waitForMessage('Replicas sharing the fleet', replicasSeen(2));
      await settled(store);

      // rotate --all wakes replica A only; B hears of it through the roster.
      const from = [a.lines.length, b.lines.length];
      const rotate = await runCli(['rotate', '--all', '--config', configA]);
      expect(rotate.code, rotate.stderr).toBe(0);
      await settled(store);
      const byA = startedAfter(a, from[0]!);
      const byB = startedAfter(b, from[1]!);
      const expected = (owner: string) => POLICIES.filter((name) => servingReplica([...owners].sort(), name) === owner).sort();
      expect(byA.sort()).toEqual(expected(owners[0]!));
      expect(byB.sort()).toEqual(expected(owners[1]!));
      expect(byA.length).toBeGreaterThan(0);
      expect(byB.length).toBeGreaterThan(0);

      // B is killed: A serves the whole fleet once B's entry runs out (five heartbeats).
      const killedAt = Date.now();
      b.signal('SIGKILL');
      await b.exited;
      await a.waitForMessage('Replicas sharing the fleet', replicasSeen(1), 15_000);
      const takeoverMs = Date.now() - killedAt;
      expect(takeoverMs).toBeLessThan(8 * HEARTBEAT_MS);
      const fromAlone = a.lines.length;
      expect((await runCli(['rotate', '--all', '--config', configA])).code).toBe(0);
      await settled(store);
      expect(startedAfter(a, fromAlone).sort()).toEqual([...POLICIES].sort());

      // C joins, then stops in order: it takes itself out, and A sees it gone at its next heartbeat.
      const c = DaemonProcess.start(configB);
      await a.waitForMessage('Replicas sharing the fleet', replicasSeen(2), 15_000, 1);
      const stoppedAt = Date.now();
      expect((await c.stop()).code).toBe(0);
      await a.waitForMessage('Replicas sharing the fleet', replicasSeen(1), 15_000, 1);
      const leaveMs = Date.now() - stoppedAt;
      expect(leaveMs).toBeLessThan(4 * HEARTBEAT_MS);
      console.log(
        `sharding ${JSON.stringify({ policies: POLICIES.length, byA: byA.length, byB: byB.length, takeoverMs, leaveMs, heartbeatMs: HEARTBEAT_MS })}`,
      );

      const handle = openStore(store);
      const secrets = (await Promise.all(POLICIES.map((name) => handle.read({ name })))).flatMap((s) =>
        [s.current, s.previous].flatMap((c) => (c ? [c.value.reveal()] : [])),
      );
      expectNoSecretsInOutput(secrets);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  }, 120_000);
});
