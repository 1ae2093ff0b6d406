import { constants } from 'node:fs';
import { access, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, isAbsolute, join, resolve } from 'node:path';
import { RotadError } from '../../errors.js';
import type { AdapterDefinition, AdapterDeps } from '../../adapters/definition.js';
import { durationMs } from '../../duration-text.js';
import type { Consumer } from '../types.js';
import { factFields } from '../../stores/types.js';
import { runCommand } from './run-command.js';
import { ExecConsumerOptions } from './schema.js';

function resolveCommand(argv: readonly string[], configDir: string): string[] {
  const [file = '', ...args] = argv;
  const local = file.startsWith('./') || file.startsWith('../');
  return [local && !isAbsolute(file) ? resolve(configDir, file) : file, ...args];
}

/** The executable a command name runs: a path as given, or the first match on PATH. */
async function findExecutable(file: string): Promise<string | undefined> {
  const candidates = file.includes('/')
    ? [file]
    : (process.env.PATH ?? '')
        .split(delimiter)
        .filter(Boolean)
        .map((dir) => join(dir, file));
  for (const candidate of candidates) {
    if (
      await access(candidate, constants.X_OK).then(
        () => true,
        () => false,
      )
    )
      return candidate;
  }
  return undefined;
}

function createExecConsumer(options: ExecConsumerOptions, deps: AdapterDeps): Consumer {
  const argv = resolveCommand(options.command, deps.configDir);
  const timeoutMs = durationMs(options.timeout);
  return {
    label: `exec ${options.command[0]}`,
    async check() {
      const found = await findExecutable(argv[0]!);
      if (!found) throw new RotadError('CONSUMER_FAILED', `command ${argv[0]} not found or not executable${argv[0]!.includes('/') ? '' : ' on PATH'}`);
      return `command ${argv[0]} found (${found})`;
    },
    async update(ctx, credential) {
      const env: Record<string, string> = {
        ...options.env,
        ROTAD_POLICY: ctx.policy,
        ROTAD_ROTATION_ID: ctx.rotationId,
        // How many bytes make the whole secret: a command reading stdin can tell a complete value
        // from one cut short (a daemon killed while writing it), and must refuse the latter.
        ROTAD_SECRET_BYTES: String(Buffer.byteLength(credential.value.reveal(), 'utf8')),
        ...(credential.id === undefined ? {} : { ROTAD_CREDENTIAL_ID: credential.id }),
        // The facts the policy stores beside the secret (`secret.fields`), under the same names.
        ...(ctx.facts === undefined ? {} : { ROTAD_SECRET_FIELDS: JSON.stringify(factFields({ name: ctx.policy, facts: ctx.facts }, credential)) }),
      };
      if (options.secretVia === 'stdin') {
        const result = await runCommand({ argv, env, stdin: credential.value.reveal(), timeoutMs, cwd: deps.configDir, signal: ctx.signal });
        ctx.logger.debug({ stdout: result.stdout, stderr: result.stderr }, 'Consumer command finished');
        return;
      }
      const dir = await mkdtemp(join(tmpdir(), 'rotad-'));
      try {
        const file = join(dir, 'secret');
        await writeFile(file, credential.value.reveal(), { mode: 0o600 });
        const result = await runCommand({ argv, env: { ...env, ROTAD_SECRET_FILE: file }, stdin: '', timeoutMs, cwd: deps.configDir, signal: ctx.signal });
        ctx.logger.debug({ stdout: result.stdout, stderr: result.stderr }, 'Consumer command finished');
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  };
}

export const execConsumer = {
  type: 'exec',
  schema: ExecConsumerOptions,
  create: createExecConsumer,
} satisfies AdapterDefinition<typeof ExecConsumerOptions, Consumer>;
