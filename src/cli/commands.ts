import { closest } from '../config/did-you-mean.js';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { runDaemon } from '../daemon/daemon.js';
import { RotadError } from '../errors.js';
import { createLogger } from '../observability/logger.js';
import { BUILD_INFO } from '../version.js';
import { checkCommand } from './check.js';
import { configPath } from './config-arg.js';
import { out } from './output.js';
import { planCommand } from './plan.js';
import { leaksIngestCommand } from './leaks.js';
import { rollbackCommand } from './rollback.js';
import { rotateCommand, type RotateRequest } from './rotate.js';
import { parseSelector, type Selector } from '../labels.js';
import { schemaCommand } from './schema.js';
import { statusCommand } from './status.js';
import { historyCommand } from './history.js';
import { submitCommand } from './submit.js';
import { remoteDaemon, type RemoteDaemon } from './remote.js';
import { remoteRollback, remoteRotate, remoteStatus, remoteSubmit } from './remote-commands.js';
import { validateCommand } from './validate.js';

type Options = NonNullable<ParseArgsConfig['options']>;
interface Parsed {
  config: string;
  json: boolean;
  all: boolean;
  names: string[];
  selector?: Selector | undefined;
  incident: boolean;
  reason?: string | undefined;
  drill: boolean;
  wait: boolean;
  since?: string | undefined;
  remote?: RemoteDaemon | undefined;
}

/** One CLI command: its options, how many names it takes, its help, and what it does. */
interface Command {
  summary: string;
  /** The arguments after the command name, for the usage line. */
  synopsis: string;
  details: string;
  options: Options;
  names: { min: number; max: number };
  run(args: Parsed): Promise<number>;
}

const CONFIG_OPTION: Options = { config: { type: 'string', short: 'c' } };
const JSON_OPTION: Options = { json: { type: 'boolean' } };
const CONFIG_HELP = '  -c, --config FILE   the config file (default: $ROTAD_CONFIG, then ./rotad.yaml)';
const SERVER_OPTIONS: Options = {
  server: { type: 'string' },
  'token-file': { type: 'string' },
  'ca-file': { type: 'string' },
  'cert-file': { type: 'string' },
  'key-file': { type: 'string' },
};
const SERVER_HELP = `      --server URL    ask a daemon's control API (daemon.api) instead of this machine's store:
                      no config file needed; the token comes from $ROTAD_API_TOKEN
      --token-file F  read the API token from this file instead
      --ca-file F     trust this CA for an https --server (PEM)
      --cert-file F   client certificate (PEM), for a daemon that requires one
      --key-file F    its private key (PEM)`;
const JSON_HELP = '      --json          print the result as JSON on stdout';
const SELECTOR_OPTION: Options = { selector: { type: 'string', short: 'l' } };
const SELECTOR_HELP = `  -l, --selector S    only the policies whose labels match, e.g. vendor=gladly,team=support,
                      'tier in (prod,staging)', env!=dev, pager (set), !pager (not set)`;

/** A command that reads and reports on the whole config (or a selection): no names, a table or `--json`. */
function reportCommand(summary: string, details: string, report: (config: string, json: boolean, selector?: Selector) => Promise<number>): Command {
  return {
    summary,
    synopsis: '[--config FILE] [--selector S] [--json]',
    details: `${details}\n\n${CONFIG_HELP}\n${SELECTOR_HELP}\n${JSON_HELP}`,
    options: { ...CONFIG_OPTION, ...JSON_OPTION, ...SELECTOR_OPTION },
    names: { min: 0, max: 0 },
    run: ({ config, json, selector }) => report(config, json, selector),
  };
}

const COMMANDS: Record<string, Command> = {
  run: {
    summary: 'run the daemon (SIGHUP reload, SIGUSR2 rotate, SIGTERM stop)',
    synopsis: '[--config FILE]',
    details: `Runs until SIGTERM or SIGINT, which drain in-flight rotations for daemon.shutdownTimeout.\nSIGHUP reloads the config (an invalid file is reported and the running one kept); SIGUSR2 rotates\nevery policy with rotateOnSignal.\n\n${CONFIG_HELP}`,
    options: CONFIG_OPTION,
    names: { min: 0, max: 0 },
    run: async ({ config }) => {
      const code = await runDaemon(config, createLogger());
      process.exit(code); // nothing may linger after a stop
    },
  },
  validate: {
    summary: 'check the config; problems as file:line:col, else the next run times',
    synopsis: '[--config FILE] [--json]',
    details: `Reads nothing but the config file and the environment it names. Exit 2 when it is invalid.\n\n${CONFIG_HELP}\n${JSON_HELP}`,
    options: { ...CONFIG_OPTION, ...JSON_OPTION },
    names: { min: 0, max: 0 },
    run: ({ config, json }) => validateCommand(config, json),
  },
  plan: reportCommand(
    'what each policy would do next and when (writes nothing)',
    "Reads each policy's state from its store and prints the steps of its next rotation.",
    planCommand,
  ),
  status: {
    summary: 'phase, credential age, last/next rotation, attention per policy',
    synopsis: '[--config FILE | --server URL] [--selector S] [--json]',
    details: `Exit 1 when a policy's store cannot be read.\n\n${CONFIG_HELP}\n${SELECTOR_HELP}\n${JSON_HELP}\n${SERVER_HELP}`,
    options: { ...CONFIG_OPTION, ...JSON_OPTION, ...SERVER_OPTIONS, ...SELECTOR_OPTION },
    names: { min: 0, max: 0 },
    run: ({ config, json, remote, selector }) => (remote ? remoteStatus(remote, json, selector) : statusCommand(config, json, selector)),
  },
  history: {
    summary: "a policy's ended rotations: when, how, who started them, who was asked, what stopped them",
    synopsis: 'NAME [--since S] [--config FILE | --server URL] [--json]',
    details: `Newest first, from the history the store keeps beside the policy's state (daemon.historyKeep
rotations, default 100). Credentials appear as keyed fingerprints only.

      --since S       only rotations that ended since: a duration back (30d, 12h) or a date (2026-11-01)
${CONFIG_HELP}
${JSON_HELP}
${SERVER_HELP}`,
    options: { ...CONFIG_OPTION, ...JSON_OPTION, ...SERVER_OPTIONS, since: { type: 'string' } },
    names: { min: 1, max: 1 },
    run: ({ config, names, json, since, remote }) => historyCommand(config, names[0]!, json, since, remote),
  },
  check: {
    summary: 'live, read-only preflight: store writable, provider accepts the credential, consumers reachable',
    synopsis: '[NAME…] [--config FILE] [--json]',
    details: `For every policy (or those named): the store is reachable and rotad may write its state
record there (written back unchanged: nothing applications read changes); the provider accepts the
current credential; each consumer can be reached with its own credentials (nothing is sent to it);
each notifier's settings and environment are present. Exit 0 only when nothing failed.

${CONFIG_HELP}
${JSON_HELP}`,
    options: { ...CONFIG_OPTION, ...JSON_OPTION },
    names: { min: 0, max: Infinity },
    run: ({ config, names, json }) => checkCommand(config, names, json),
  },
  rotate: {
    summary: 'ask for a rotation now (served by the running daemon, or at its next start)',
    synopsis: 'NAME…|--all|--selector S [--incident --reason TEXT [--drill]] [--wait] [--config FILE | --server URL]',
    details: `Records the request in each policy's store and wakes the daemon running on this state directory
(or, with --server, asks that daemon).

An incident rotation (a credential leaked) goes at once: no schedule window, no ask hours, requests
to a person urgent and escalated, the incident grace (default 0s) before revoke, and the reason and
who asked in every message and audit event. A rotation already in progress is finished first, then
one more follows (the leaked value may be the new one).

${CONFIG_HELP}
      --all           every policy of the config
${SELECTOR_HELP}
      --incident      an incident rotation; needs --reason
      --reason TEXT   why, e.g. "INC-1234: token in a public repo"
      --drill         with --incident: print what would happen, who would be asked; write nothing
      --wait          follow the rotations until each is done or failed: a progress bar on a
                      terminal, JSON lines when piped; exit 1 if any failed (Ctrl-C stops waiting,
                      not the rotations)
${SERVER_HELP}`,
    options: {
      ...CONFIG_OPTION,
      all: { type: 'boolean' },
      ...SELECTOR_OPTION,
      incident: { type: 'boolean' },
      reason: { type: 'string' },
      drill: { type: 'boolean' },
      wait: { type: 'boolean' },
      ...SERVER_OPTIONS,
    },
    names: { min: 0, max: Infinity },
    run: (args) => {
      const request = rotateRequestOf(args);
      return args.remote ? remoteRotate(args.remote, request) : rotateCommand(args.config, request);
    },
  },
  submit: {
    summary: 'hand over the token an assisted rotation asks for (read from stdin, never echoed)',
    synopsis: 'NAME [--config FILE | --server URL]',
    details: `The token is read from stdin (hidden when stdin is a terminal), checked with the provider, and\nstaged; the daemon then carries on. A person with only a browser uses the link in the request instead.\n\n${CONFIG_HELP}\n${SERVER_HELP}`,
    options: { ...CONFIG_OPTION, ...SERVER_OPTIONS },
    names: { min: 1, max: 1 },
    run: ({ config, names, remote }) => (remote ? remoteSubmit(remote, names[0]!, process.stdin) : submitCommand(config, names[0]!, process.stdin)),
  },
  rollback: {
    summary: 'abandon a rotation before promote, or restore the previous credential',
    synopsis: 'NAME [--config FILE | --server URL]',
    details: `Refused while a daemon works on the policy (its lease runs) or when the previous credential was\nrevoked. The daemon sends the rollback's notification and audit event.\n\n${CONFIG_HELP}\n${SERVER_HELP}`,
    options: { ...CONFIG_OPTION, ...SERVER_OPTIONS },
    names: { min: 1, max: 1 },
    run: ({ config, names, remote }) =>
      remote ? remoteRollback(remote, names[0]!) : rollbackCommand(config, names[0]!, createLogger({ destination: process.stderr as never })),
  },
  leaks: {
    summary: 'ingest leak reports (TruffleHog --json on stdin): a leaked credential rotad holds is rotated now',
    synopsis: 'ingest [--config FILE | --server URL] < trufflehog-output.json',
    details: `Reads TruffleHog's JSON lines (trufflehog git … --json | rotad leaks ingest) and matches each
finding against every policy's current, pending and previous credential by keyed fingerprint (the
daemon's key; the value is never stored nor printed). A match on a current or pending credential
starts an incident rotation; an older credential not yet revoked is revoked now; anything else is
reported as not a credential rotad manages. Every finding is audited.

${CONFIG_HELP}
${SERVER_HELP}`,
    options: { ...CONFIG_OPTION, ...SERVER_OPTIONS },
    names: { min: 1, max: 1 },
    run: ({ config, names, remote }) => {
      if (names[0] !== 'ingest') throw new RotadError('USAGE_INVALID', `leaks: the only subcommand is ingest, got '${names[0]}'; see rotad leaks --help`);
      return leaksIngestCommand(config, process.stdin, createLogger({ destination: process.stderr as never }), remote);
    },
  },
  schema: {
    summary: 'print the JSON Schema of the config file',
    synopsis: '',
    details: 'For editors: point the YAML language server at it.',
    options: {},
    names: { min: 0, max: 0 },
    run: async () => schemaCommand(),
  },
  version: {
    summary: 'print the version of rotad and of Node.js',
    synopsis: '',
    details: 'Also: rotad --version.',
    options: {},
    names: { min: 0, max: 0 },
    run: async () => versionCommand(),
  },
};

const USAGE = `usage: rotad <command> [options]

commands:
${Object.entries(COMMANDS)
  .map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`)
  .join('\n')}

rotad <command> --help shows a command's options. --config FILE defaults to $ROTAD_CONFIG, then
./rotad.yaml. Exit codes: 0 ok, 1 failed, 2 invalid config or usage.`;

function helpOf(name: string, command: Command): string {
  return `usage: rotad ${name}${command.synopsis ? ` ${command.synopsis}` : ''}\n\n${command.summary}.\n${command.details}`;
}

function versionCommand(): number {
  out.line(`rotad ${BUILD_INFO.version} (node ${BUILD_INFO.node})`);
  return 0;
}

/** Parses a command's arguments strictly; a mistake is a usage error (exit 2), never a guess. */
function parseCommand(name: string, command: Command, args: string[]): Parsed | 'help' {
  const beforeEnd = args.includes('--') ? args.slice(0, args.indexOf('--')) : args;
  if (beforeEnd.includes('--help') || beforeEnd.includes('-h')) return 'help'; // help wins over any other mistake
  let parsed;
  try {
    parsed = parseArgs({ args, allowPositionals: true, strict: true, options: { ...command.options, help: { type: 'boolean', short: 'h' } } });
  } catch (error) {
    throw new RotadError(
      'USAGE_INVALID',
      `${name}: ${(error as Error).message.split('\n')[0]!.replace(/\. To specify a positional.*$/, '')}; see rotad ${name} --help`,
    );
  }
  const { positionals } = parsed;
  const values = parsed.values as Record<string, string | boolean | undefined>;
  const { min, max } = command.names;
  if (positionals.length < min || positionals.length > max) {
    const expected = max === 0 ? 'no arguments' : min === max ? `exactly ${min} policy name` : 'policy names';
    throw new RotadError(
      'USAGE_INVALID',
      `${name}: takes ${expected}, got ${positionals.length === 0 ? 'none' : positionals.map((p) => `'${p}'`).join(' ')}; see rotad ${name} --help`,
    );
  }
  const text = (key: string): string | undefined => (typeof values[key] === 'string' ? values[key] : undefined);
  const serverOnly = ['token-file', 'ca-file', 'cert-file', 'key-file'].filter((key) => text(key) !== undefined);
  if (text('server') === undefined && serverOnly.length > 0) throw new RotadError('USAGE_INVALID', `${name}: --${serverOnly[0]} goes with --server URL`);
  if (text('server') !== undefined && text('config') !== undefined)
    throw new RotadError('USAGE_INVALID', `${name}: --server asks a daemon, --config reads the store from here; pass one`);
  return {
    config: configPath(text('config')),
    json: values.json === true,
    all: values.all === true,
    names: positionals,
    selector: text('selector') === undefined ? undefined : parseSelector(text('selector')!),
    incident: values.incident === true,
    reason: text('reason'),
    drill: values.drill === true,
    wait: values.wait === true,
    since: text('since'),
    remote:
      text('server') === undefined
        ? undefined
        : remoteDaemon(text('server')!, text('token-file'), { ca: text('ca-file'), cert: text('cert-file'), key: text('key-file') }),
  };
}

/** The policies and the kind of request `rotad rotate` was given, checked: one way of choosing, and a reason with every incident. */
function rotateRequestOf({ names, all, selector, incident, reason, drill, wait }: Parsed): RotateRequest {
  const ways = [names.length > 0, all, selector !== undefined].filter(Boolean).length;
  if (ways === 0) throw new RotadError('USAGE_INVALID', 'rotate: name at least one policy, or pass --all or --selector');
  if (ways > 1) throw new RotadError('USAGE_INVALID', 'rotate: name policies, or pass --all, or --selector: one of them');
  if (incident && (reason === undefined || reason.trim() === ''))
    throw new RotadError(
      'USAGE_INVALID',
      'rotate: --incident needs --reason TEXT (it goes into every message and audit event), e.g. --reason "INC-1234: token in a public repo"',
    );
  if (!incident && reason !== undefined) throw new RotadError('USAGE_INVALID', 'rotate: --reason goes with --incident');
  if (drill && !incident) throw new RotadError('USAGE_INVALID', 'rotate: --drill goes with --incident');
  if (drill && wait) throw new RotadError('USAGE_INVALID', 'rotate: a --drill starts nothing to --wait for');
  return {
    selection: { names, all, selector },
    incident: incident ? { reason: reason!.trim(), actor: 'cli' } : undefined,
    drill,
    wait,
  };
}

/** Runs one rotad command; resolves with the exit code. Asked for help, a command only prints it. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    out.error(USAGE);
    return 2;
  }
  if (name === 'help' || name === '--help' || name === '-h') {
    const topic = rest[0] === undefined ? undefined : COMMANDS[rest[0]];
    out.line(topic ? helpOf(rest[0]!, topic) : USAGE);
    return 0;
  }
  if (name === '--version' || name === '-V') return versionCommand();
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!command) {
    const meant = closest(name, Object.keys(COMMANDS));
    out.error(`rotad: USAGE_INVALID: unknown command '${name}'${meant ? ` (did you mean '${meant}'?)` : ''}\n\n${USAGE}`);
    return 2;
  }
  const parsed = parseCommand(name, command, rest);
  if (parsed === 'help') {
    out.line(helpOf(name, command));
    return 0;
  }
  return command.run(parsed);
}
