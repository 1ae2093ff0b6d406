import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/errors.js';

const STORE = `stores:
  local: { type: file, path: s.enc, key: { env: ROTAD_KEY } }
`;
const policy = (body: string): string => `version: 1
${STORE}policies:
  - name: p1
${body}`;

function problemsOf(text: string, env: NodeJS.ProcessEnv = {}): string[] {
  try {
    parseConfig(text, 'rotad.yaml', { ROTAD_KEY: 'set', ...env });
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
  return [];
}

/** Each bad file, the expected problem (a regular expression), and where it must point. */
const BAD_FILES: Array<{ case: string; text: string; at: string; message: RegExp; env?: NodeJS.ProcessEnv }> = [
  { case: 'invalid YAML', text: 'version: 1\npolicies: [\n', at: '3:1', message: /flow sequence|Missing|end/i },
  { case: 'tab indentation', text: 'version: 1\nstores:\n\tlocal: {}\n', at: '3:1', message: /tab/i },
  { case: 'duplicate key', text: `version: 1\n${STORE}version: 1\npolicies: []\n`, at: '4:1', message: /duplicate key 'version'/ },
  { case: 'unknown top-level key', text: `version: 1\n${STORE}polices: []\n`, at: '4:1', message: /unknown key 'polices'/ },
  {
    case: 'unknown key in a provider',
    text: policy('    provider: { type: random, lenght: 20 }\n    schedule: { every: 30d }\n'),
    at: '6:31',
    message: /policies\[0\]\.provider\.lenght: unknown key 'lenght'/,
  },
  {
    case: 'wrong type',
    text: policy('    provider: { type: random, length: "long" }\n    schedule: { every: 30d }\n'),
    at: '6:39',
    message: /policies\[0\]\.provider\.length: .*expected number/,
  },
  {
    case: 'unknown provider type',
    text: policy('    provider: { type: gladlyy }\n    schedule: { every: 30d }\n'),
    at: '6:23',
    message: /unknown provider type 'gladlyy' \(known: random, gladly, gorgias, cutover, http, aws-iam-access-key, postgres, mysql\)/,
  },
  { case: 'missing provider type', text: policy('    provider: { length: 20 }\n    schedule: { every: 30d }\n'), at: '6:15', message: /missing provider type/ },
  {
    case: 'unknown consumer type',
    text: policy('    provider: { type: random }\n    schedule: { every: 30d }\n    consumers: [{ type: shell }]\n'),
    at: '8:25',
    message:
      /consumers\[0\]\.type: unknown consumer type 'shell' \(known: exec, http, gladly-webhook, stackone-account, store, kubernetes-secret, kubernetes-rollout\)/,
  },
  {
    case: 'unknown store type',
    text: 'version: 1\nstores:\n  v: { type: vaultt }\npolicies: []\n',
    at: '3:14',
    message: /stores\.v\.type: unknown store type 'vaultt'/,
  },
  {
    case: 'missing required key',
    text: 'version: 1\nstores: {}\npolicies:\n  - provider: { type: random }\n    schedule: { every: 1d }\n',
    at: '4:5',
    message: /policies\[0\]\.name: missing required key/,
  },
  {
    case: 'bad duration',
    text: policy('    provider: { type: random }\n    schedule: { every: 30 days }\n'),
    at: '7:24',
    message: /schedule\.every: expected a duration/,
  },
  {
    case: 'bad cron',
    text: policy('    provider: { type: random }\n    schedule: { cron: "61 * * * *" }\n'),
    at: '7:23',
    message: /schedule\.cron: invalid cron expression '61 \* \* \* \*'.*minute/,
  },
  {
    case: 'a policy name that cannot name a Kubernetes annotation',
    text: policy(
      '    provider: { type: random }\n    schedule: { every: 30d }\n    consumers: [{ type: kubernetes-secret, namespace: apps, name: app, key: token }]\n',
    ).replace('name: p1', 'name: p1-'),
    at: '8:25',
    message: /consumers\[0\]\.type: policy name 'p1-' names rotad's annotations \(fingerprint\.rotad\.dev\/p1-\): it must end with a letter or digit/,
  },
  {
    case: 'cron with four fields',
    text: policy('    provider: { type: random }\n    schedule: { cron: "0 3 * *" }\n'),
    at: '7:23',
    message: /invalid cron expression/,
  },
  {
    case: 'unknown timezone',
    text: policy('    provider: { type: random }\n    schedule: { cron: "0 3 * * *", timezone: Mars/Olympus }\n'),
    at: '7:46',
    message: /unknown timezone 'Mars\/Olympus'/,
  },
  {
    case: 'a schedule that is neither a map nor manual',
    text: policy('    provider: { type: random }\n    schedule: weekly\n'),
    at: '7:15',
    message: /policies\[0\]\.schedule: expected 'manual', or a map with cron or every/,
  },
  {
    case: 'rotateBefore beyond the lifetime',
    text: policy('    provider: { type: random }\n    schedule: manual\n    rotateBefore: 150%\n'),
    at: '8:19',
    message: /policies\[0\]\.rotateBefore: expected a duration such as 14d, or a share of the lifetime from 1% to 99%/,
  },
  {
    case: 'askWithin that cannot be read',
    text: policy('    provider: { type: random }\n    schedule: { every: 1d }\n    assist: { askWithin: "Weekdays 9-5" }\n'),
    at: '8:26',
    message: /policies\[0\]\.assist\.askWithin: expected days, hours and a timezone, e\.g\. 'Mon-Fri 09:00-17:00 Europe\/Berlin'/,
  },
  {
    case: 'cron and every together',
    text: policy('    provider: { type: random }\n    schedule: { cron: "0 3 * * *", every: 1d }\n'),
    at: '7:15',
    message: /set exactly one of cron and every/,
  },
  { case: 'no schedule and no maxAge', text: policy('    provider: { type: random }\n'), at: '5:5', message: /no schedule and no maxAge/ },
  {
    case: 'duplicate policy name',
    text: policy('    provider: { type: random }\n    schedule: { every: 1d }\n  - name: p1\n    provider: { type: random }\n    schedule: { every: 1d }\n'),
    at: '8:11',
    message: /duplicate policy name 'p1' \(first used by policies\[0\]\)/,
  },
  {
    case: 'undefined store',
    text: policy('    provider: { type: random }\n    schedule: { every: 1d }\n    store: vault\n'),
    at: '8:12',
    message: /store 'vault' is not defined under stores \(stores defined: local\)/,
  },
  {
    case: "a store consumer naming a store that does not exist (the consumer's own rule)",
    text: policy('    provider: { type: random }\n    schedule: { every: 1d }\n    consumers:\n      - { type: store, store: aws }\n'),
    at: '9:31',
    message: /policies\[0\]\.consumers\[0\]\.store: store 'aws' is not defined under stores \(stores defined: local\)/,
  },
  {
    case: "a store consumer writing to the policy's own store and path",
    text: policy('    provider: { type: random }\n    schedule: { every: 1d }\n    consumers:\n      - { type: store, store: local }\n'),
    at: '9:31',
    message: /policies\[0\]\.consumers\[0\]\.store: this is the policy's own store and path/,
  },
  {
    case: 'a gladly-webhook consumer authenticated by a policy that is not a gladly one',
    text: policy(
      '    provider: { type: random }\n    schedule: { every: 1d }\n    consumers:\n      - { type: gladly-webhook, webhookId: w1, auth: { policy: p1 }, set: header, header: X-Secret }\n',
    ),
    at: '9:64',
    message: /policies\[0\]\.consumers\[0\]\.auth\.policy: policy 'p1' has provider random; it must be a gladly policy/,
  },
  {
    case: 'undefined notifier',
    text: policy('    provider: { type: random }\n    schedule: { every: 1d }\n    notify: [log, slack]\n'),
    at: '8:19',
    message: /notify\[1\]: notifier 'slack' is not defined under notifiers/,
  },
  {
    case: 'unset environment variable',
    text: policy('    provider: { type: random }\n    schedule:\n      every: ${env:ROTATE_EVERY}\n'),
    at: '8:14',
    message: /environment variable ROTATE_EVERY is not set/,
  },
  {
    case: 'bad policy name',
    text: policy('    provider: { type: random }\n    schedule: { every: 1d }\n').replace('name: p1', 'name: Prod Token'),
    at: '5:11',
    message: /expected a name of lowercase letters/,
  },
  {
    case: 'an API token given in the YAML',
    text: `version: 1\ndaemon:\n  api:\n    tokens:\n      - { name: ci, token: abc, scopes: [read] }\n${STORE}policies: []\n`,
    at: '5:21',
    message: /daemon\.api\.tokens\[0\]\.token: unknown key 'token'/,
  },
  {
    case: 'an API token with neither file nor env',
    text: `version: 1\ndaemon:\n  api:\n    tokens:\n      - { name: ci, scopes: [read] }\n${STORE}policies: []\n`,
    at: '5:9',
    message: /set exactly one of file or env \(the token itself never goes in the YAML\)/,
  },
  {
    case: 'an unknown API scope',
    text: `version: 1\ndaemon:\n  api:\n    tokens:\n      - { name: ci, env: CI_TOKEN, scopes: [admin] }\n${STORE}policies: []\n`,
    at: '5:45',
    message: /daemon\.api\.tokens\[0\]\.scopes\[0\]/,
  },
  {
    case: 'a publicUrl that is not http(s)',
    text: `version: 1\ndaemon:\n  api: { publicUrl: "ftp://rotad.example" }\n${STORE}policies: []\n`,
    at: '3:21',
    message: /daemon\.api\.publicUrl: expected an http:\/\/ or https:\/\/ address/,
  },
  { case: 'wrong version', text: `version: 2\n${STORE}policies: []\n`, at: '1:10', message: /expected version: 1/ },
  {
    case: 'alias before its anchor',
    text: `version: 1\n${STORE}policies:\n  - name: p1\n    provider: *random\n    schedule: { every: 1d }\n  - name: p2\n    provider: &random { type: random }\n    schedule: { every: 1d }\n`,
    at: '6:15',
    message: /alias \*random names no anchor set before it/,
  },
  {
    case: 'an alias bomb (billion laughs)',
    text: `version: 1\n${STORE}x0: &a [l, l, l, l, l, l, l, l, l]\nx1: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nx2: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nx3: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\nx4: [*d, *d, *d, *d, *d, *d, *d, *d, *d]\npolicies: []\n`,
    at: '5:9',
    message: /aliases expand to too much data/,
  },
  {
    case: 'a schedule far beyond any date',
    text: policy('    provider: { type: random }\n    schedule: { every: 300000000000w }\n'),
    at: '7:24',
    message: /schedule\.every: expected a duration .*at most 3650d/,
  },
  {
    case: 'a grace period far beyond any date',
    text: policy('    provider: { type: random }\n    schedule: { every: 1d }\n    grace: 300000000000w\n'),
    at: '8:12',
    message: /grace: expected a duration .*at most 3650d/,
  },
  {
    case: 'a secret where the name of its variable belongs',
    text: 'version: 1\nstores:\n  v: { type: vault, address: "http://127.0.0.1:8200", auth: { method: token, tokenEnv: "s.Abc/def+ghi==" } }\npolicies: []\n',
    at: '3:88',
    message: /tokenEnv: expected the name of an environment variable/,
  },
  {
    case: 'file store key.env given the key itself',
    text: 'version: 1\nstores:\n  s: { type: file, path: x, key: { env: "q83v+Zb0cUPCy2mWkLB5aJ/jX1bYtqPuQ1fDL0zN3Xk=" } }\npolicies: []\n',
    at: '3:41',
    message: /key\.env: expected the name of an environment variable/,
  },
  {
    case: 'file store key with both sources',
    text: 'version: 1\nstores:\n  s: { type: file, path: x, key: { env: A, file: b } }\npolicies: []\n',
    at: '3:34',
    message: /set exactly one of key\.file and key\.env/,
  },
  {
    case: 'mistyped policy key: did you mean',
    text: policy('    provider: { type: random }\n    schedule: { every: 30d }\n    rotateOnSignl: true\n'),
    at: '8:5',
    message: /policies\[0\]\.rotateOnSignl: unknown key 'rotateOnSignl' \(did you mean 'rotateOnSignal'\?\)/,
  },
  {
    case: 'mistyped provider option: did you mean, for the provider type given',
    text: policy(
      '    provider: { type: http, baseUrl: "https://x.test", create: { url: /t, response: { token: t } }, verfy: { url: /me } }\n    schedule: { every: 30d }\n',
    ),
    at: '6:101',
    message: /policies\[0\]\.provider\.verfy: unknown key 'verfy' \(did you mean 'verify'\?\)/,
  },
  ...['0s', '500ms', '1s'].map((lease) => ({
    case: `daemon.lease ${lease} with the default 30s exec timeout`,
    text: `version: 1\ndaemon:\n  lease: ${lease}\n${STORE}policies:\n  - name: p1\n    provider: { type: random }\n    schedule: { every: 30d }\n    consumers: [{ type: exec, command: [x] }]\n`,
    at: '3:10',
    message:
      lease !== '1s'
        ? /daemon\.lease: .* is too short: a lease must be at least 1s/
        : /daemon\.lease: .* is shorter than twice the longest call timeout, policies\[0\]\.consumers\[0\]\.timeout \(30s\).*at least 1m/,
  })),
  {
    case: 'daemon.lease under twice a Vault store timeout',
    text: `version: 1\ndaemon: { lease: 15s }\nstores:\n  v: { type: vault, address: "http://127.0.0.1:8200", auth: { method: token, tokenEnv: T } }\npolicies:\n  - { name: p1, provider: { type: random }, schedule: { every: 30d } }\n`,
    env: { T: 'x' },
    at: '2:18',
    message: /daemon\.lease: 15s is shorter than twice the longest call timeout, stores\.v\.timeout \(10s\)/,
  },
  {
    case: 'daemon.sharding on the file store',
    text: `version: 1\ndaemon:\n  sharding: {}\n${STORE}policies:\n  - { name: p1, provider: { type: random }, schedule: { every: 30d } }\n`,
    at: '3:13',
    message:
      /daemon\.sharding\.store: store 'local' is of type file, which serves one daemon; the roster needs a store every replica reaches \(vault or aws-secrets-manager; none is defined\)/,
  },
  {
    case: 'daemon.sharding naming a store that does not exist',
    text: `version: 1\ndaemon: { sharding: { store: vault } }\nstores:\n  v: { type: vault, address: "http://127.0.0.1:8200", auth: { method: token, tokenEnv: T } }\npolicies:\n  - { name: p1, provider: { type: random }, schedule: { every: 30d } }\n`,
    env: { T: 'x' },
    at: '2:30',
    message: /daemon\.sharding\.store: store 'vault' is not defined under stores \(choose one of: v\)/,
  },
  {
    case: 'daemon.sharding with a heartbeat under 1s',
    text: `version: 1\ndaemon: { sharding: { heartbeat: 100ms } }\nstores:\n  v: { type: vault, address: "http://127.0.0.1:8200", auth: { method: token, tokenEnv: T } }\npolicies:\n  - { name: p1, provider: { type: random }, schedule: { every: 30d } }\n`,
    env: { T: 'x' },
    at: '2:34',
    message: /daemon\.sharding\.heartbeat: 100ms is too short: .*at least 1s/,
  },
];

describe('rotad validate: bad files are refused with file:line:col and an actionable message', () => {
  it.each(BAD_FILES)('$case', ({ text, at, message, env }) => {
    const problems = problemsOf(text, env);
    const match = problems.find((p) => message.test(p));
    expect(match, `problems were:\n${problems.join('\n')}`).toBeDefined();
    expect(match).toMatch(new RegExp(`^rotad\\.yaml:${at}: `));
  });

  it('a rollout wait longer than the lease is no lease problem (it renews the lease between its looks); its per-request timeout is', () => {
    const rollout = (timeout: string): string =>
      policy(
        `    provider: { type: random }\n    schedule: { every: 30d }\n    consumers: [{ type: kubernetes-rollout, namespace: apps, workloads: [{ kind: Deployment, name: web }], rolloutTimeout: 10m, timeout: ${timeout} }]\n`,
      );
    expect(problemsOf(rollout('10s'))).toEqual([]);
    expect(problemsOf(rollout('45s')).join('\n')).toMatch(
      /daemon\.lease: .* is shorter than twice the longest call timeout, policies\[0\]\.consumers\[0\]\.timeout \(45s\)/,
    );
  });

  it('every secret named by an *Env key must be set, reported where it is named (or at the adapter, for a default name)', () => {
    const text = `version: 1
stores:
  local: { type: file, path: s.enc, key: { env: ROTAD_KEY } }
  vault: { type: vault, address: "http://127.0.0.1:8200" }
  approle: { type: vault, address: "http://127.0.0.1:8200", auth: { method: approle, roleId: r, secretIdEnv: MY_SECRET_ID } }
  agent: { type: vault, address: "http://127.0.0.1:8200", auth: { method: token, tokenFile: /run/vault-token } }
notifiers:
  chat: { type: slack }
  hook: { type: webhook, url: "https://hooks.example.com/x" }
  mail: { type: email, host: smtp.example.com, username: rotad, from: a@b.c, to: [o@b.c] }
  anonymous-mail: { type: email, host: smtp.example.com, from: a@b.c, to: [o@b.c] }
policies:
  - name: p1
    store: local
    provider: { type: random }
    schedule: { every: 1d }
    consumers: [{ type: stackone-account, accountId: a1 }]
`;
    const problems = problemsOf(text, { ROTAD_KEY: '' });
    expect(problems).toEqual([
      'rotad.yaml:3:49: stores.local.key.env: environment variable ROTAD_KEY is not set (the file store key)',
      'rotad.yaml:4:10: stores.vault.auth.tokenEnv: environment variable VAULT_TOKEN is not set (the Vault token; or give auth.tokenFile)',
      'rotad.yaml:5:110: stores.approle.auth.secretIdEnv: environment variable MY_SECRET_ID is not set (the AppRole secret id; or give auth.secretIdFile)',
      'rotad.yaml:8:9: notifiers.chat.webhookUrlEnv: environment variable SLACK_WEBHOOK_URL is not set (the Slack incoming-webhook URL; rotad run, check, rollback and submit need it, status, plan and rotate do not)',
      'rotad.yaml:9:9: notifiers.hook.secretEnv: environment variable ROTAD_WEBHOOK_SECRET is not set (the HMAC signing secret of the webhook notifier; rotad run, check, rollback and submit need it, status, plan and rotate do not)',
      'rotad.yaml:10:9: notifiers.mail.passwordEnv: environment variable ROTAD_SMTP_PASSWORD is not set (the SMTP password of rotad; rotad run, check, rollback and submit need it, status, plan and rotate do not)',
      'rotad.yaml:17:17: policies[0].consumers[0].apiKeyEnv: environment variable STACKONE_API_KEY is not set (the StackOne API key; rotad run, check, rollback and submit need it, status, plan and rotate do not)',
    ]);
    const all = {
      ROTAD_KEY: 'k',
      VAULT_TOKEN: 't',
      MY_SECRET_ID: 's',
      SLACK_WEBHOOK_URL: 'u',
      ROTAD_WEBHOOK_SECRET: 'w',
      ROTAD_SMTP_PASSWORD: 'p',
      STACKONE_API_KEY: 'a',
    };
    expect(problemsOf(text, all)).toEqual([]);
    // The commands that only read the store (status, plan, rotate) need only the stores' variables.
    const storesOnly = { ROTAD_KEY: 'k', VAULT_TOKEN: 't', MY_SECRET_ID: 's' };
    expect(() => parseConfig(text, 'rotad.yaml', storesOnly, 'rotad.yaml', 'store')).not.toThrow();
    expect(() => parseConfig(text, 'rotad.yaml', { ROTAD_KEY: 'k' }, 'rotad.yaml', 'store')).toThrow(ConfigError);
  });

  it('a control API token named by env must be set and at least 16 characters, as the daemon requires at start', () => {
    const text = `version: 1\ndaemon:\n  api:\n    tokens:\n      - { name: ops, env: OPS_TOKEN, scopes: [read] }\n${STORE}policies:\n  - { name: p1, provider: { type: random }, schedule: { every: 30d } }\n`;
    expect(problemsOf(text)).toEqual(['rotad.yaml:5:27: daemon.api.tokens[0].env: environment variable OPS_TOKEN is not set (the control API token ops)']);
    expect(problemsOf(text, { OPS_TOKEN: 'short' })).toEqual([
      'rotad.yaml:5:27: daemon.api.tokens[0].env: the token in OPS_TOKEN is shorter than 16 characters; use a random one (openssl rand -hex 32)',
    ]);
    expect(problemsOf(text, { OPS_TOKEN: 'a-long-enough-random-token-0123' })).toEqual([]);
  });

  it('reports unset variables and schema problems in one pass, and says what is checked once they are fixed', () => {
    const text = `version: 1\nstores:\n  local: { type: file, path: "\${env:STORE_FILE}", key: { env: ROTAD_KEY } }\npolicies:\n  - name: p1\n    provider: { type: random, length: "long" }\n    schedule: { every: 30d }\n`;
    const problems = problemsOf(text);
    expect(problems[0]).toMatch(/^rotad\.yaml:3:30: environment variable STORE_FILE is not set/);
    expect(problems[1]).toMatch(/^rotad\.yaml:6:39: policies\[0\]\.provider\.length: .*expected number/);
    expect(problems.at(-1)).toMatch(/once these are fixed, validate also checks what spans fields/);
    expect(problems).toHaveLength(3);
  });

  it('reports every problem of a file at once, not just the first', () => {
    const problems = problemsOf(policy('    provider: { type: random, lenght: 3 }\n    schedule: { every: 3 days }\n    color: blue\n'));
    // Three problems, and the note on the checks that need a file of the right shape.
    expect(problems).toHaveLength(4);
    expect(problems.at(-1)).toMatch(/^\(once these are fixed/);
  });

  it('no message repeats a value taken from the environment, nor a secret put where a variable name belongs', () => {
    const secret = 'hvs.CAESIJ-secret-from-the-environment';
    const env = { LEAKY: secret };
    const files = [
      policy('    provider: { type: random }\n    schedule: { cron: "0 3 * * *", timezone: "${env:LEAKY}" }\n'),
      policy('    provider: { type: random }\n    schedule: { cron: "${env:LEAKY}" }\n'),
      policy('    provider: { type: "${env:LEAKY}" }\n    schedule: { every: 1d }\n'),
      policy('    provider: { type: random }\n    schedule: { every: 1d }\n    ${env:LEAKY}: 1\n'),
      'version: 1\nstores:\n  v: { type: vault, address: "http://127.0.0.1:8200", auth: { method: token, tokenEnv: "${env:LEAKY}" } }\npolicies: []\n',
      'version: 1\nnotifiers:\n  s: { type: slack, webhookUrlEnv: "https://hooks.example.invalid/T0/B0/' + secret + '" }\nstores: {}\npolicies: []\n',
    ];
    for (const text of files) {
      const problems = problemsOf(text, env);
      expect(problems.length, text).toBeGreaterThan(0);
      for (const problem of problems) expect(problem).not.toContain(secret);
    }
    expect(problemsOf(files[0]!, env).join('\n')).toContain('${env:LEAKY}');
  });

  it('a quoted ${env:…} reference stays a string', () => {
    const text = `version: 1\n${STORE}policies:\n  - name: p1\n    provider: { type: random }\n    schedule: { every: 1d }\n    secret: { field: "\${env:FIELD}" }\n`;
    const config = parseConfig(text, 'rotad.yaml', { FIELD: '1234', ROTAD_KEY: 'set' });
    expect(config.policies[0]?.secret?.field).toBe('1234');
  });

  it('a value that is a single ${env:…} reference takes the YAML type of its text', () => {
    const text = `version: 1\ndaemon:\n  health:\n    port: \${env:PORT}\n    enabled: \${env:ON:-true}\n${STORE}policies:\n  - name: p1\n    provider: { type: random }\n    schedule: { every: 1d }\n`;
    const config = parseConfig(text, 'rotad.yaml', { PORT: '9999', ROTAD_KEY: 'set' });
    expect(config.daemon.health).toMatchObject({ port: 9999, enabled: true });
  });

  it('schedule: manual, rotateBefore and suspend are read as the scheduler uses them', () => {
    const config = parseConfig(
      policy(
        '    provider: { type: cutover, userId: 42, userName: bot }\n    schedule: manual\n    rotateBefore: 14d\n    suspend: true\n    assist: { deadline: 2d, remindEvery: 12h }\n',
      ),
      'rotad.yaml',
      { ROTAD_KEY: 'set' },
    );
    expect(config.policies[0]).toMatchObject({
      suspended: true,
      timing: { schedule: { kind: 'manual' }, rotateBefore: { kind: 'span', ms: 14 * 86_400_000, text: '14d' }, assistLeadMs: 2.5 * 86_400_000 },
    });
    const plain = parseConfig(policy('    provider: { type: random }\n    schedule: { every: 1d }\n'), 'rotad.yaml', { ROTAD_KEY: 'set' });
    expect(plain.policies[0]).toMatchObject({ suspended: false, timing: { rotateBefore: { kind: 'share', text: '33%' }, assistLeadMs: undefined } });
  });

  it('secret.fields becomes the field that holds the secret and the facts written beside it', () => {
    const config = parseConfig(
      policy(
        '    provider: { type: random }\n    schedule: { every: 1d }\n    secret: { path: apps/x, fields: { api_key: value, username: credentialId, expires_at: expiresAt } }\n',
      ),
      'rotad.yaml',
      { ROTAD_KEY: 'set' },
    );
    expect(config.policies[0]?.secret).toEqual({ path: 'apps/x', field: 'api_key', facts: { username: 'credentialId', expires_at: 'expiresAt' } });
    expect(
      problemsOf(policy('    provider: { type: random }\n    schedule: { every: 1d }\n    secret: { fields: { a: value, b: value } }\n')).join('\n'),
    ).toMatch(/secret: fields must name exactly one field as value/);
    expect(
      problemsOf(policy('    provider: { type: random }\n    schedule: { every: 1d }\n    secret: { field: a, fields: { b: value } }\n')).join('\n'),
    ).toMatch(/secret: set field or fields, not both/);
  });

  it('accepts a good file and applies the defaults', () => {
    const config = parseConfig(policy('    provider: { type: random }\n    schedule:\n      every: ${env:EVERY:-30d}\n'), 'rotad.yaml', { ROTAD_KEY: 'set' });
    const [p1] = config.policies;
    expect(p1?.storeName).toBe('local');
    expect(p1?.timing.schedule).toEqual({ kind: 'every', intervalMs: 30 * 86_400_000 });
    expect(p1?.notify).toEqual(['log']);
    expect(config.daemon.retry).toEqual({ attempts: 5, initialDelayMs: 1000, maxDelayMs: 300_000 });
    expect(Object.isFrozen(config)).toBe(true);
  });
});
