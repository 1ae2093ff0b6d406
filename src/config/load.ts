import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { relative } from 'node:path';
import { compactHeap } from '../compact-heap.js';
import { LineCounter, parseDocument, visit, type Alias, type Document } from 'yaml';
import { ConfigError } from '../errors.js';
import { duplicateKeys } from './duplicate-keys.js';
import { hideEnvValues, interpolateEnv } from './interpolate.js';
import { problemsFromIssues, type Problem } from './issues.js';
import { locateNode, position } from './locate.js';
import { normalize, type ResolvedConfig } from './normalize.js';
import { missingEnv, type EnvScope } from './required-env.js';
import { checkRules } from './rules.js';
import { RotadConfig } from './schema.js';

/** The hash a config is known by in logs and metrics (of the text, so no value from the environment). */
export function configHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

function displayName(path: string): string {
  const rel = relative(process.cwd(), path);
  if (rel === '') return path; // the working directory itself, given as the config
  return rel.startsWith('..') ? path : rel;
}

/** Why the config file cannot be read, in words a person can act on. */
function unreadable(code: string | undefined): string {
  if (code === 'EISDIR') return 'is a directory, not a config file: give the YAML file itself (--config DIR/rotad.yaml)';
  if (code === 'ENOENT') return 'no such config file (set --config FILE or $ROTAD_CONFIG; rotad schema prints the format)';
  if (code === 'EACCES') return 'config file not readable by this user (EACCES)';
  return `cannot read config file (${code ?? 'error'})`;
}

/**
 * Reads, validates and normalises a config file. Every problem is reported at once, as
 * `file:line:col: path: message`, in a ConfigError; nothing is half-loaded.
 */
export async function loadConfig(path: string, env: NodeJS.ProcessEnv = process.env, scope: EnvScope = 'all'): Promise<ResolvedConfig> {
  const name = displayName(path);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new ConfigError([`${name}: ${unreadable((error as NodeJS.ErrnoException).code)}`]);
  }
  const config = parseConfig(text, name, env, path, scope);
  // Parsing YAML leaves several times the text's size in garbage (at 10,000 policies, about a
  // hundred megabytes): collected now, before stores are read, it does not add to their peak.
  if (text.length > LARGE_CONFIG_CHARS) compactHeap();
  return config;
}

/** A config this long is followed by a full garbage collection (about 700 policies). */
const LARGE_CONFIG_CHARS = 100_000;

/** Aliases cap: enough for any real config, far below what an alias bomb expands to. */
const MAX_ALIAS_COUNT = 100;

/**
 * The document as plain data. Aliases must name an anchor set before them, and may not expand
 * without bound (a "billion laughs" document): both are refused at the alias's position.
 */
function toPlainData(doc: Document, name: string, lines: LineCounter): unknown {
  const aliases: Alias[] = [];
  visit(doc, {
    Alias: (_key, node) => {
      aliases.push(node);
    },
  });
  for (const alias of aliases) {
    if (alias.resolve(doc) === undefined)
      throw new ConfigError([`${name}:${position(alias, lines)}: alias *${alias.source} names no anchor set before it (write &${alias.source} first)`]);
  }
  try {
    return doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (error) {
    if (!(error instanceof ReferenceError)) throw error;
    throw new ConfigError([
      `${name}:${position(aliases[0], lines)}: aliases expand to too much data (more than ${MAX_ALIAS_COUNT} copies); write the values out`,
    ]);
  }
}

/** Said after schema problems: the checks that need a file of the right shape did not run yet. */
const LATER_CHECKS =
  '(once these are fixed, validate also checks what spans fields: store and notifier names, schedules and timezones, the lease against timeouts, variables named by *Env keys)';

/** Validates config text; `name` is the file name used in messages, `path` where relative paths start. */
export function parseConfig(text: string, name: string, env: NodeJS.ProcessEnv = process.env, path = name, scope: EnvScope = 'all'): ResolvedConfig {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const duplicates = duplicateKeys(doc).map(({ key, node }) => `${name}:${position(node, lines)}: duplicate key '${key}'`);
    throw new ConfigError(
      doc.errors
        .filter((error) => duplicates.length === 0 || error.code !== 'DUPLICATE_KEY')
        .map((error) => {
          const at = lines.linePos(error.pos[0]);
          return `${name}:${at.line}:${at.col}: ${error.message.split('\n')[0]}`;
        })
        .concat(duplicates),
    );
  }
  const { unset, substituted } = interpolateEnv(doc, env);
  // Every problem of the file in one pass: unset variables, then the schema's, then the checks
  // across fields (which need a file that passed the schema, and say so when they could not run).
  const problems = unset.map(
    ({ name: variable, node }) => `${name}:${position(node, lines)}: environment variable ${variable} is not set (referenced as \${env:${variable}})`,
  );
  const unsetNodes = new Set<unknown>(unset.map(({ node }) => node));
  const locate = (problem: Problem): string | undefined => {
    const node = locateNode(doc, problem.path, problem.key);
    // A value left empty by an unset variable is reported once, as unset.
    if (unsetNodes.has(node)) return undefined;
    return hideEnvValues(`${name}:${position(node, lines)}: ${problem.message}`, substituted);
  };
  const located = (list: Problem[]): string[] => list.map(locate).filter((line): line is string => line !== undefined);
  const raw = toPlainData(doc, name, lines);
  const parsed = RotadConfig.safeParse(raw ?? {});
  if (!parsed.success) {
    const valueAt = (path: readonly PropertyKey[]): unknown => doc.getIn(path as unknown[]) as unknown;
    throw new ConfigError([...problems, ...located(problemsFromIssues(parsed.error.issues, valueAt, RotadConfig)), LATER_CHECKS]);
  }
  problems.push(...located([...checkRules(parsed.data), ...missingEnv(parsed.data, env, scope)]));
  if (problems.length > 0) throw new ConfigError(problems);
  return normalize(parsed.data, path, configHash(text));
}
