import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectNoSecretsInOutput } from '../helpers/daemon.js';
import { openStore } from '../helpers/store-kinds.js';
import { tempDir } from '../helpers/workspace.js';
import { startPostgres, type PostgresServer } from '../servers/postgres.js';
import { Fleet, pause, randomBetween, RECORDER, settle } from './harness.js';

/** Kills: a few in `npm test`, 100 with `npm run chaos` (POSTGRES_KILLS). */
const KILLS = Number(process.env.POSTGRES_KILLS ?? 10);
const POLICIES = { 'pg-single': 'user: chaos_single', 'pg-pair': 'strategy: alternating-users, user: chaos_pair, createSecondUser: true' } as const;
const NAMES = Object.keys(POLICIES);

let server: PostgresServer;
let stopServer: () => Promise<void>;

async function client(user = server.adminUser, password = server.adminPassword): Promise<pg.Client> {
  const c = new pg.Client({ host: server.host, port: server.port, database: 'postgres', user, password, ssl: { ca: await readFile(server.caFile, 'utf8') } });
  c.on('error', () => undefined);
  await c.connect();
  return c;
}

/** The role `user` logs in as with `password`, or undefined when refused. */
async function loginAs(user: string, password: string): Promise<string | undefined> {
  try {
    const c = await client(user, password);
    const { rows } = await c.query<{ u: string }>('SELECT current_user AS u');
    await c.end();
    return rows[0]!.u;
  } catch {
    return undefined;
  }
}

describe('chaos: SIGKILL at random instants during PostgreSQL rotations (single user and two users in turn)', () => {
  beforeAll(async () => {
    ({ server, stop: stopServer } = await startPostgres());
    const admin = await client();
    await admin.query(`CREATE ROLE chaos_single LOGIN PASSWORD 'chaos-single-initial'`);
    await admin.query(`CREATE ROLE chaos_pair LOGIN PASSWORD 'chaos-pair-initial'`);
    await admin.end();
  }, 120_000);
  afterAll(() => stopServer?.());

  it(
    `${KILLS} kills: nothing lost or duplicated, nothing wedged, the two roles never disabled together`,
    async () => {
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
${Object.entries(POLICIES)
  .map(
    ([name, provider]) => `  - name: ${name}
    provider: { type: postgres, host: 127.0.0.1, port: ${server.port}, manager: { user: postgres, passwordEnv: PG_MANAGER_PASSWORD }, tls: { mode: verify-full, caFile: ${server.caFile} }, timeout: 3s, ${provider} }
    secret: { fields: { username: credentialId, password: value } }
    schedule: { every: 30d }
    grace: 0s
    rotateOnSignal: true
    consumers:
      - { type: exec, command: [node, "${RECORDER}", "${dir}/consumer-${name}.log"], timeout: 3s }`,
  )
  .join('\n')}
`,
      );
      // A watcher of the pair: both roles without LOGIN at any instant would lock the application out.
      let bothDisabled = 0;
      let watching = true;
      const watcher = (async () => {
        const admin = await client();
        while (watching) {
          const { rows } = await admin.query<{ rolcanlogin: boolean }>(`SELECT rolcanlogin FROM pg_roles WHERE rolname IN ('chaos_pair', 'chaos_pair_alt')`);
          if (rows.length === 2 && rows.every((r) => !r.rolcanlogin)) bothDisabled += 1;
          await pause(50);
        }
        await admin.end();
      })();

      const fleet = new Fleet({ PG_MANAGER_PASSWORD: server.adminPassword });
      for (let kill = 0; kill < KILLS; kill += 1) {
        const daemon = fleet.start(config);
        await fleet.request(config);
        await pause(randomBetween(0, 1_500));
        await fleet.kill(daemon);
      }
      const last = fleet.start(config);
      await fleet.request(config);
      await settle(store, 120_000, NAMES);
      expect((await last.stop()).code).toBe(0);
      watching = false;
      await watcher;

      const problems: string[] = [];
      const secrets = [server.adminPassword];
      const completions = new Map<string, number>();
      for (const e of fleet.entries('Rotation completed')) completions.set(String(e.rotation), (completions.get(String(e.rotation)) ?? 0) + 1);
      const duplicated = [...completions.values()].filter((n) => n > 1).length;
      let lost = 0;
      let wedged = 0;
      const handle = openStore(store);
      for (const name of NAMES) {
        const snapshot = await handle.read({ name });
        secrets.push(...[snapshot.current, snapshot.previous, snapshot.pending].flatMap((c) => (c ? [c.value.reveal()] : [])));
        if (snapshot.state.phase !== 'idle' || snapshot.state.attention || snapshot.pending) {
          wedged += 1;
          problems.push(`${name} is wedged: ${snapshot.state.phase} ${snapshot.state.attention?.message ?? ''}`);
        }
        const current = snapshot.current!;
        if ((await loginAs(current.id!, current.value.reveal())) !== current.id) {
          lost += 1;
          problems.push(`${name}: the current credential (${current.id}) does not log in`);
        }
        const handed = (await readFile(join(dir, `consumer-${name}.log`), 'utf8')).trim().split('\n');
        const values = new Map<string, Set<string>>();
        for (const line of handed) {
          const [id = '', value = ''] = line.split(' ');
          values.set(id, (values.get(id) ?? new Set()).add(value));
          secrets.push(value);
        }
        for (const [id, set] of values) if (set.size > 1) problems.push(`${name}: rotation ${id} handed ${set.size} values`);
        if (handed.at(-1)?.split(' ')[1] !== current.value.reveal()) {
          lost += 1;
          problems.push(`${name}: the consumer's last value is not the current credential`);
        }
      }
      await handle.close();
      const report = {
        kills: KILLS,
        rotationsStarted: new Set(fleet.entries('Rotation started').map((e) => String(e.rotation))).size,
        rotationsCompleted: completions.size,
        duplicated,
        lost,
        wedged,
        bothRolesDisabled: bothDisabled,
      };
      console.log(`postgres chaos ${JSON.stringify(report)}${problems.length > 0 ? `\n${problems.join('\n')}` : ''}`);
      expect(problems).toEqual([]);
      expect(report).toMatchObject({ duplicated: 0, lost: 0, wedged: 0, bothRolesDisabled: 0 });
      expect(report.rotationsCompleted).toBeGreaterThan(0);
      expectNoSecretsInOutput(secrets);
    },
    30 * 60_000,
  );
});
