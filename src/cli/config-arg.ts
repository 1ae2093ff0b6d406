import { loadConfig } from '../config/load.js';
import type { EnvScope } from '../config/required-env.js';
import type { ResolvedConfig } from '../config/normalize.js';
import { ConfigError } from '../errors.js';
import { out } from './output.js';

/** The config path: --config, else $ROTAD_CONFIG, else ./rotad.yaml. */
export function configPath(flag: string | undefined): string {
  return flag ?? process.env.ROTAD_CONFIG ?? 'rotad.yaml';
}

/**
 * Loads the config for a command; prints every problem (on stderr, or as JSON on stdout for a
 * command asked for --json) and returns undefined when it is invalid.
 */
export async function loadForCommand(path: string, json = false, scope: EnvScope = 'all'): Promise<ResolvedConfig | undefined> {
  try {
    return await loadConfig(path, process.env, scope);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    if (json) out.line(JSON.stringify({ ok: false, code: error.code, problems: error.problems }, null, 2));
    else for (const problem of error.problems) out.error(problem);
    return undefined;
  }
}
