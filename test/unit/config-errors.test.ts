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
    parseConfig(text, 'rotad.yaml', env);
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
  { case: 'unknown key in a provider', text: policy('    provider: { type: random, lenght: 20 }\n    schedule: { every: 30d }\n'), at: '6:31', message: /policies\[0\]\.provider\.lenght: unknown key 'lenght'/ },
  { case: 'wrong type', text: policy('    provider: { type: random, length: "long" }\n    schedule: { every: 30d }\n'), at: '6:39', message: /policies\[0\]\.provider\.length: .*expected number/ },
  { case: 'unknown provider type', text: policy('    provider: { type: gladlyy }\n    schedule: { every: 30d }\n'), at: '6:23', message: /unknown provider type 'gladlyy' \(known: random, gladly, gorgias, cutover, http\)/ },
  { case: 'missing provider type', text: policy('    provider: { length: 20 }\n    schedule: { every: 30d }\n'), at: '6:15', message: /missing provider type/ },
  { case: 'unknown consumer type', text: policy('    provider: { type: random }\n    schedule: { every: 30d }\n    consumers: [{ type: shell }]\n'), at: '8:25', message: /consumers\[0\]\.type: unknown consumer type 'shell' \(known: exec, http, gladly-webhook, stackone-account, store\)/ },
  { case: 'unknown store type', text: 'version: 1\nstores:\n  v: { type: vaultt }\npolicies: []\n', at: '3:14', message: /stores\.v\.type: unknown store type 'vaultt'/ },
  { case: 'missing required key', text: 'version: 1\nstores: {}\npolicies:\n  - provider: { type: random }\n    schedule: { every: 1d }\n', at: '4:5', message: /policies\[0\]\.name: missing required key/ },
  { case: 'bad duration', text: policy('    provider: { type: random }\n    schedule: { every: 30 days }\n'), at: '7:24', message: /schedule\.every: expected a duration/ },
  { case: 'bad cron', text: policy('    provider: { type: random }\n    schedule: { cron: "61 * * * *" }\n'), at: '7:23', message: /schedule\.cron: invalid cron expression '61 \* \* \* \*'.*minute/ },
  { case: 'cron with four fields', text: policy('    provider: { type: random }\n    schedule: { cron: "0 3 * *" }\n'), at: '7:23', message: /invalid cron expression/ },
  { case: 'unknown timezone', text: policy('    provider: { type: random }\n    schedule: { cron: "0 3 * * *", timezone: Mars/Olympus }\n'), at: '7:46', message: /unknown timezone 'Mars\/Olympus'/ },
  { case: 'cron and every together', text: policy('    provider: { type: random }\n    schedule: { cron: "0 3 * * *", every: 1d }\n'), at: '7:15', message: /set exactly one of cron and every/ },
  { case: 'no schedule and no maxAge', text: policy('    provider: { type: random }\n'), at: '5:5', message: /no schedule and no maxAge/ },
  { case: 'duplicate policy name', text: policy('    provider: { type: random }\n    schedule: { every: 1d }\n  - name: p1\n    provider: { type: random }\n    schedule: { every: 1d }\n'), at: '8:11', message: /duplicate policy name 'p1' \(first used by policies\[0\]\)/ },
  { case: 'undefined store', text: policy('    provider: { type: random }\n    schedule: { every: 1d }\n    store: vault\n'), at: '8:12', message: /store 'vault' is not defined under stores \(stores defined: local\)/ },
  { case: 'undefined notifier', text: policy('    provider: { type: random }\n    schedule: { every: 1d }\n    notify: [log, slack]\n'), at: '8:19', message: /notify\[1\]: notifier 'slack' is not defined under notifiers/ },
  { case: 'unset environment variable', text: policy('    provider: { type: random }\n    schedule:\n      every: ${env:ROTATE_EVERY}\n'), at: '8:14', message: /environment variable ROTATE_EVERY is not set/ },
  { case: 'bad policy name', text: policy('    provider: { type: random }\n    schedule: { every: 1d }\n').replace('name: p1', 'name: Prod Token'), at: '5:11', message: /expected a name of lowercase letters/ },
  { case: 'wrong version', text: `version: 2\n${STORE}policies: []\n`, at: '1:10', message: /expected version: 1/ },
  { case: 'file store key with both sources', text: 'version: 1\nstores:\n  s: { type: file, path: x, key: { env: A, file: b } }\npolicies: []\n', at: '3:34', message: /set exactly one of key\.file and key\.env/ },
];

describe('rotad validate: bad files are refused with file:line:col and an actionable message', () => {
  it.each(BAD_FILES)('$case', ({ text, at, message, env }) => {
    const problems = problemsOf(text, env);
    const match = problems.find((p) => message.test(p));
    expect(match, `problems were:\n${problems.join('\n')}`).toBeDefined();
    expect(match).toMatch(new RegExp(`^rotad\\.yaml:${at}: `));
  });

  it('reports every problem of a file at once, not just the first', () => {
    const problems = problemsOf(policy('    provider: { type: random, lenght: 3 }\n    schedule: { every: 3 days }\n    color: blue\n'));
    expect(problems).toHaveLength(3);
  });

  it('a value that is a single ${env:…} reference takes the YAML type of its text', () => {
    const text = `version: 1\ndaemon:\n  health:\n    port: \${env:PORT}\n    enabled: \${env:ON:-true}\n${STORE}policies:\n  - name: p1\n    provider: { type: random }\n    schedule: { every: 1d }\n`;
    const config = parseConfig(text, 'rotad.yaml', { PORT: '9999' });
    expect(config.daemon.health).toMatchObject({ port: 9999, enabled: true });
  });

  it('accepts a good file and applies the defaults', () => {
    const config = parseConfig(policy('    provider: { type: random }\n    schedule:\n      every: ${env:EVERY:-30d}\n'), 'rotad.yaml', {});
    const [p1] = config.policies;
    expect(p1?.storeName).toBe('local');
    expect(p1?.timing.schedule).toEqual({ kind: 'every', intervalMs: 30 * 86_400_000 });
    expect(p1?.notify).toEqual(['log']);
    expect(config.daemon.retry).toEqual({ attempts: 5, initialDelayMs: 1000, maxDelayMs: 300_000 });
    expect(Object.isFrozen(config)).toBe(true);
  });
});
