import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DaemonProcess, runCli, type LogEntry } from '../helpers/daemon.js';
import { ROOT } from '../helpers/paths.js';
import { openStore } from '../helpers/store-kinds.js';
import { tempDir, withStoreTimeout } from '../helpers/workspace.js';
import type { TokensApiServer } from '../adapters/providers/http/stand-in.js';

export const RECORDER = join(ROOT, 'test/fixtures/record-secret.mjs');
export const POLICIES = ['chaos-a', 'chaos-b'];

/** What a chaos run did and found; every count in the second half must be 0. */
export interface ChaosReport {
  store: string;
  scenario: string;
  kills: number;
  requests: number;
  rotationsStarted: number;
  rotationsCompleted: number;
  /** Rotation ids completed more than once, or handed to consumers with two values. */
  duplicated: number;
  /** Tokens alive at the provider that rotad neither holds nor warned about; consumers left on a value that is not current. */
  lost: number;
  /** Policies not idle (or needing attention, or holding a pending credential) once the run settled. */
  wedged: number;
  /** Tokens whose create answer a kill cut off: alive at the provider, warned about by rotad. */
  unseenWarned: number;
}

/** A rotad config for replica `index` (its own state directory: the pid file is per daemon), all on one store; every call's timeout is half the lease. */
export async function chaosConfig(
  dir: string,
  index: number,
  store: Record<string, unknown>,
  api: TokensApiServer,
  leaseMs: number,
  /** More consumers of each policy, after the recording one (YAML list items, indented for `consumers:`). */
  moreConsumers: (policy: string) => string = () => '',
  /** More keys of the daemon section (YAML lines indented for `daemon:`), e.g. sharding. */
  moreDaemon = '',
): Promise<string> {
  const policies = POLICIES.map(
    (name) => `
  - name: ${name}
    provider:
      type: http
      baseUrl: "${api.url}"
      bootstrapEnv: ACME_BOOTSTRAP_TOKEN
      create:
        url: /v1/tokens
        headers: { authorization: "Bearer {{current}}" }
        body: { name: "rotad {{policy}} {{rotationId}}" }
        response: { token: data.token, id: data.id, expiresAt: data.expires_at }
      verify: { url: /v1/me, headers: { authorization: "Bearer {{credential}}" } }
      revoke: { url: "/v1/tokens/{{credential.id}}", headers: { authorization: "Bearer {{current}}" } }
      timeout: ${leaseMs / 2}ms
    schedule: { every: 30d }
    grace: 0s
    rotateOnSignal: true
    consumers:
      - { type: exec, command: [node, "${RECORDER}", "${dir}/consumer-${name}.log"], timeout: ${leaseMs / 2}ms }${moreConsumers(name)}`,
  ).join('');
  const path = join(dir, `rotad-${index}.yaml`);
  await writeFile(
    path,
    `version: 1
daemon:
  stateDir: ${dir}/state-${index}
  health: { enabled: false }
  retry: { attempts: 4, initialDelay: 20ms, maxDelay: 300ms }
  shutdownTimeout: 5s
  lease: ${leaseMs}ms
${moreDaemon}stores:
  shared: ${JSON.stringify(withStoreTimeout(store, `${leaseMs / 2}ms`))}
notifiers:
  log: { type: log }
policies:${policies}
`,
  );
  return path;
}

export const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
export const randomBetween = (min: number, max: number): number => min + Math.floor(Math.random() * (max - min + 1));

/** Every daemon a run started, alive or killed, for the log-based counts. */
export class Fleet {
  readonly all: DaemonProcess[] = [];
  constructor(readonly env: Record<string, string>) {}

  start(config: string): DaemonProcess {
    const daemon = DaemonProcess.start(config, this.env);
    this.all.push(daemon);
    return daemon;
  }

  entries(msg: string): LogEntry[] {
    return this.all.flatMap((d) => d.entries.filter((e) => e.msg === msg));
  }

  async kill(daemon: DaemonProcess): Promise<void> {
    daemon.signal('SIGKILL');
    await daemon.exited;
  }

  async request(config: string): Promise<void> {
    const result = await runCli(['rotate', '--all', '--config', config], this.env);
    if (result.code !== 0) throw new Error(`rotad rotate failed: ${result.stderr}`);
  }
}

/** Waits until every policy is idle with nothing pending or requested (or fails after `timeoutMs`). */
export async function settle(store: Record<string, unknown>, timeoutMs = 90_000, policies: readonly string[] = POLICIES): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const handle = openStore(store);
  for (;;) {
    const states = await Promise.all(policies.map((name) => handle.read({ name })));
    if (states.every((s) => s.state.phase === 'idle' && s.state.requestedAt === undefined && s.pending === undefined && s.state.attention === undefined))
      return;
    if (Date.now() > deadline) return;
    await pause(250);
  }
}

/** Counts duplicates, losses and wedges once the run has settled. */
export async function inspect(
  report: Omit<ChaosReport, 'rotationsStarted' | 'rotationsCompleted' | 'duplicated' | 'lost' | 'wedged' | 'unseenWarned'>,
  fleet: Fleet,
  store: Record<string, unknown>,
  api: TokensApiServer,
  dir: string,
): Promise<{ report: ChaosReport; problems: string[]; secrets: string[] }> {
  const problems: string[] = [];
  const secrets: string[] = [];
  const handle = openStore(store);
  let duplicated = 0;
  let lost = 0;
  let wedged = 0;
  let unseenWarned = 0;
  const started = new Set(fleet.entries('Rotation started').map((e) => String(e.rotation)));
  const completions = new Map<string, number>();
  for (const e of fleet.entries('Rotation completed')) completions.set(String(e.rotation), (completions.get(String(e.rotation)) ?? 0) + 1);
  for (const [id, count] of completions) {
    if (count > 1) {
      duplicated += 1;
      problems.push(`rotation ${id} completed ${count} times`);
    }
  }
  const warned = new Set(fleet.entries('An earlier attempt to create a credential may have succeeded unseen').map((e) => String(e.rotation)));
  for (const name of POLICIES) {
    const snapshot = await handle.read({ name });
    secrets.push(...[snapshot.current, snapshot.previous, snapshot.pending].flatMap((c) => (c ? [c.value.reveal()] : [])));
    if (snapshot.state.phase !== 'idle' || snapshot.state.attention || snapshot.pending) {
      wedged += 1;
      problems.push(
        `${name} is wedged: phase ${snapshot.state.phase}${snapshot.state.attention ? `, attention ${snapshot.state.attention.message}` : ''}${snapshot.pending ? ', a pending credential' : ''}`,
      );
    }
    const succeeded = snapshot.state.history.filter((h) => h.outcome === 'succeeded').map((h) => h.rotationId);
    if (new Set(succeeded).size !== succeeded.length) {
      duplicated += 1;
      problems.push(`${name}: a rotation id appears twice in its history`);
    }
    const current = snapshot.current?.value.reveal();
    if (current !== undefined && ![...api.tokens.values()].some((t) => t.value === current)) {
      lost += 1;
      problems.push(`${name}: the current credential is no longer accepted by the provider`);
    }
    const handed = (await readFile(join(dir, `consumer-${name}.log`), 'utf8').catch(() => ''))
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((line) => line.split(' '));
    const byRotation = new Map<string, Set<string>>();
    for (const [id = '', value = ''] of handed) byRotation.set(id, (byRotation.get(id) ?? new Set()).add(value));
    for (const [id, values] of byRotation) {
      if (values.size > 1) {
        duplicated += 1;
        problems.push(`${name}: consumers were handed ${values.size} different values for rotation ${id}`);
      }
    }
    if (handed.at(-1)?.[1] !== current) {
      lost += 1;
      problems.push(`${name}: the consumer's last value is not the current credential`);
    }
    const kept = new Set([current, snapshot.previous?.revokedAt === undefined ? snapshot.previous?.value.reveal() : undefined]);
    for (const token of api.ledger.filter((t) => t.name.startsWith(`rotad ${name} `))) {
      secrets.push(token.value);
      if (!api.tokens.has(token.id) || kept.has(token.value)) continue;
      const rotationId = token.name.split(' ')[2] ?? '';
      if (warned.has(rotationId)) {
        unseenWarned += 1;
        continue;
      }
      lost += 1;
      problems.push(`${name}: token ${token.id} of rotation ${rotationId} is alive at the provider, neither current nor previous, and rotad never said so`);
    }
  }
  await handle.close();
  return {
    report: { ...report, rotationsStarted: started.size, rotationsCompleted: completions.size, duplicated, lost, wedged, unseenWarned },
    problems,
    secrets,
  };
}

export async function workspace(): Promise<string> {
  return tempDir();
}

/**
 * A kill run's config in a new directory: one daemon on a file store (a restarted daemon takes a
 * killed one's policies over at once), quick retries, an 8 s lease, and `policies` (YAML list items, given the run's directory).
 */
export async function killRunConfig(policies: (dir: string) => string): Promise<{ dir: string; config: string; store: Record<string, unknown> }> {
  const dir = await tempDir();
  const store = { type: 'file', path: join(dir, 'secrets.enc'), key: { file: join(dir, 'store.key'), generate: true } };
  const config = join(dir, 'rotad.yaml');
  await writeFile(
    config,
    `version: 1
daemon:
  stateDir: ${dir}/state
  health: { enabled: false }
  retry: { attempts: 4, initialDelay: 20ms, maxDelay: 300ms }
  shutdownTimeout: 5s
  lease: 8s
stores:
  shared: ${JSON.stringify(store)}
notifiers:
  log: { type: log }
policies:
${policies(dir)}
`,
  );
  return { dir, config, store };
}
