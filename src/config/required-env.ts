import type { RequiredEnv } from '../adapters/definition.js';
import { consumerRegistry } from '../consumers/registry.js';
import { notifierRegistry } from '../notifiers/registry.js';
import { storeRegistry } from '../stores/registry.js';
import { formatPath, type ConfigPath } from './locate.js';
import type { Problem } from './issues.js';
import type { RotadConfig } from './schema.js';

type Options = { type: string };
type Registry = Record<string, { type: string; requiredEnv?: (options: never) => RequiredEnv[] }>;

/**
 * Every secret an adapter names by an `*Env` key must be set when the config is loaded, like a
 * `${env:X}` reference: otherwise the failure shows only hours later, as retries of a store call
 * or a notification. Each problem points at the key that names the variable (or at the adapter,
 * when the name is a default), and never shows a value.
 */
export function missingEnv(config: RotadConfig, env: NodeJS.ProcessEnv, scope: EnvScope = 'all'): Problem[] {
  const stores: Adapters = Object.entries(config.stores).map(([name, options]) => ({ at: ['stores', name], options, registry: storeRegistry }));
  if (scope === 'store') return adapterEnv(stores, env);
  const others: Adapters = Object.entries(config.notifiers).map(([name, options]) => ({ at: ['notifiers', name], options, registry: notifierRegistry }));
  config.policies.forEach((policy, p) =>
    policy.consumers.forEach((options, c) => {
      others.push({ at: ['policies', p, 'consumers', c], options, registry: consumerRegistry });
    }),
  );
  return [
    ...adapterEnv(stores, env),
    ...adapterEnv(others, env, NOT_FOR_READERS),
    ...apiTokenEnv(config, env),
    ...githubEnv(config, env),
    ...gitguardianEnv(config, env),
    ...slackEnv(config, env),
  ];
}

/** What a command needs of the environment: everything (run, check, validate, rollback, submit), or only what reading the store takes (status, plan, rotate). */
export type EnvScope = 'all' | 'store';

/** Said of a notifier's or consumer's variable: the commands that only read the store do without it. */
const NOT_FOR_READERS = '; rotad run, check, rollback and submit need it, status, plan and rotate do not';

type Adapters = Array<{ at: ConfigPath; options: Options; registry: Registry }>;

/** A control API token named by `env` must be set, and long enough (as the daemon checks at start; a token from a file is read then). */
function apiTokenEnv(config: RotadConfig, env: NodeJS.ProcessEnv): Problem[] {
  return (config.daemon.api?.tokens ?? []).flatMap((token, i): Problem[] => {
    if (token.env === undefined) return [];
    const path: ConfigPath = ['daemon', 'api', 'tokens', i, 'env'];
    const value = env[token.env];
    if (!value) return [{ path, message: `${formatPath(path)}: environment variable ${token.env} is not set (the control API token ${token.name})` }];
    if (value.trim().length < 16)
      return [{ path, message: `${formatPath(path)}: the token in ${token.env} is shorter than 16 characters; use a random one (openssl rand -hex 32)` }];
    return [];
  });
}

/** The GitHub leak intake's webhook secret and token (daemon.api.github). */
function githubEnv(config: RotadConfig, env: NodeJS.ProcessEnv): Problem[] {
  const github = config.daemon.api?.github;
  if (!github) return [];
  const needed: Array<[key: 'webhookSecretEnv' | 'tokenEnv', what: string]> = [
    ['webhookSecretEnv', 'the secret of the GitHub secret-scanning webhook'],
    ['tokenEnv', 'a GitHub token that may read secret scanning alerts'],
  ];
  return needed.flatMap(([key, what]): Problem[] => {
    const path: ConfigPath = ['daemon', 'api', 'github', key];
    return env[github[key]] ? [] : [{ path, message: `${formatPath(path)}: environment variable ${github[key]} is not set (${what})` }];
  });
}

/** The GitGuardian intake's signature token (daemon.api.gitguardian). */
function gitguardianEnv(config: RotadConfig, env: NodeJS.ProcessEnv): Problem[] {
  const name = config.daemon.api?.gitguardian?.signatureTokenEnv;
  if (name === undefined || env[name]) return [];
  const path: ConfigPath = ['daemon', 'api', 'gitguardian', 'signatureTokenEnv'];
  return [{ path, message: `${formatPath(path)}: environment variable ${name} is not set (the signature token of the GitGuardian custom webhook)` }];
}

/** The Slack interactions' signing secret and bot token (daemon.api.slack). */
function slackEnv(config: RotadConfig, env: NodeJS.ProcessEnv): Problem[] {
  const slack = config.daemon.api?.slack;
  if (!slack) return [];
  const needed: Array<[key: 'signingSecretEnv' | 'botTokenEnv', name: string | undefined, what: string]> = [
    ['signingSecretEnv', slack.signingSecretEnv, 'the signing secret of the Slack app'],
    ['botTokenEnv', slack.botTokenEnv, 'the Slack bot token, to read user groups'],
  ];
  return needed.flatMap(([key, name, what]): Problem[] => {
    const path: ConfigPath = ['daemon', 'api', 'slack', key];
    return name === undefined || env[name] ? [] : [{ path, message: `${formatPath(path)}: environment variable ${name} is not set (${what})` }];
  });
}

function adapterEnv(adapters: Adapters, env: NodeJS.ProcessEnv, note = ''): Problem[] {
  return adapters.flatMap(({ at, options, registry }) => {
    const required = registry[options.type]?.requiredEnv?.(options as never) ?? [];
    return required
      .filter((r) => !env[r.name])
      .map((r): Problem => ({
        path: [...at, ...r.key],
        message: `${formatPath([...at, ...r.key])}: environment variable ${r.name} is not set (${r.what}${note})`,
      }));
  });
}
