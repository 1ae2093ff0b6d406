import { parseArgs } from 'node:util';
import { runDaemon } from '../daemon/daemon.js';
import { describeError } from '../errors.js';
import { createLogger } from '../observability/logger.js';
import { configPath } from './config-arg.js';
import { out } from './output.js';
import { planCommand } from './plan.js';
import { rollbackCommand } from './rollback.js';
import { rotateCommand } from './rotate.js';
import { schemaCommand } from './schema.js';
import { statusCommand } from './status.js';
import { submitCommand } from './submit.js';
import { validateCommand } from './validate.js';

const USAGE = `usage: rotad <command> [--config FILE]

commands:
  run                    run the daemon (SIGHUP reload, SIGUSR2 rotate, SIGTERM stop)
  validate               check the config; problems as file:line:col, else the next run times
  plan                   what each policy would do next and when (writes nothing)
  status [--json]        phase, credential age, last/next rotation, attention per policy
  rotate NAME…|--all     ask for a rotation now (served by the running daemon, or at its next start)
  submit NAME            hand over the token an assisted rotation asks for (read from stdin, never echoed)
  rollback NAME          abandon a rotation before promote, or restore the previous credential
  schema                 print the JSON Schema of the config file

--config FILE defaults to $ROTAD_CONFIG, then ./rotad.yaml. Exit codes: 0 ok, 1 failed, 2 invalid config or usage.`;

/** Runs one rotad command; resolves with the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === 'run') {
    const { values } = parseArgs({ args: rest, options: { config: { type: 'string', short: 'c' } } });
    const code = await runDaemon(configPath(values.config), createLogger());
    process.exit(code); // nothing may linger after a stop
  }
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: { config: { type: 'string', short: 'c' }, json: { type: 'boolean' }, all: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
  });
  const path = configPath(values.config);
  switch (command) {
    case 'validate': return validateCommand(path);
    case 'plan': return planCommand(path);
    case 'status': return statusCommand(path, values.json ?? false);
    case 'rotate': return rotateCommand(path, positionals, values.all ?? false);
    case 'submit': {
      if (positionals.length !== 1) break;
      return submitCommand(path, positionals[0]!, process.stdin);
    }
    case 'rollback': {
      if (positionals.length !== 1) break;
      return rollbackCommand(path, positionals[0]!, createLogger({ destination: process.stderr as never }));
    }
    case 'schema': return schemaCommand();
    case undefined: case 'help': case '--help': case '-h':
      out.line(USAGE);
      return command === undefined ? 2 : 0;
  }
  out.error(USAGE);
  return 2;
}
