import type { z } from 'zod';
import { namesDefined, type AdapterDefinition, type ConfigView } from '../adapters/definition.js';
import { parseAskWindow } from '../timing/ask-window.js';
import { consumerRegistry } from '../consumers/registry.js';
import { cronProblem, isValidTimezone } from '../timing/schedule.js';
import type { Problem } from './issues.js';
import { leaseLongEnough } from './lease-rule.js';
import { shardingStoreShared } from './sharding-rule.js';
import type { RotadConfig } from './schema.js';

type Rule = (config: RotadConfig) => Problem[];

const uniquePolicyNames: Rule = (config) => {
  const seen = new Map<string, number>();
  return config.policies.flatMap((policy, index): Problem[] => {
    const first = seen.get(policy.name);
    if (first === undefined) {
      seen.set(policy.name, index);
      return [];
    }
    return [
      { path: ['policies', index, 'name'], message: `policies[${index}].name: duplicate policy name '${policy.name}' (first used by policies[${first}])` },
    ];
  });
};

const storesExist: Rule = (config) => {
  const stores = Object.keys(config.stores);
  const problems: Problem[] = [];
  if (stores.length === 0) problems.push({ path: ['stores'], message: 'stores: define at least one store' });
  if (config.defaults.store !== undefined && !stores.includes(config.defaults.store)) {
    problems.push({
      path: ['defaults', 'store'],
      message: `defaults.store: store '${config.defaults.store}' is not defined under stores (${namesDefined('stores', stores)})`,
    });
  }
  config.policies.forEach((policy, index) => {
    if (policy.store !== undefined && !stores.includes(policy.store)) {
      problems.push({
        path: ['policies', index, 'store'],
        message: `policies[${index}].store: store '${policy.store}' is not defined under stores (${namesDefined('stores', stores)})`,
      });
    } else if (policy.store === undefined && config.defaults.store === undefined && stores.length > 1) {
      problems.push({
        path: ['policies', index],
        message: `policies[${index}]: no store chosen; set store or defaults.store (${namesDefined('stores', stores)})`,
      });
    }
  });
  return problems;
};

const notifiersExist: Rule = (config) => {
  const notifiers = Object.keys(config.notifiers);
  const check = (names: string[] | undefined, path: (string | number)[]): Problem[] =>
    (names ?? []).flatMap((name, i) =>
      notifiers.includes(name)
        ? []
        : [
            {
              path: [...path, i],
              message: `${path.join('.').replace(/\.(\d+)/g, '[$1]')}[${i}]: notifier '${name}' is not defined under notifiers (${namesDefined('notifiers', notifiers)})`,
            },
          ],
    );
  return [
    ...check(config.defaults.notify, ['defaults', 'notify']),
    ...check(config.defaults.escalate, ['defaults', 'escalate']),
    ...config.policies.flatMap((p, index) => [...check(p.notify, ['policies', index, 'notify']), ...check(p.escalate, ['policies', index, 'escalate'])]),
  ];
};

const schedulesValid: Rule = (config) =>
  config.policies.flatMap((policy, index): Problem[] => {
    const schedule = policy.schedule ?? config.defaults.schedule;
    const at = policy.schedule ? ['policies', index, 'schedule'] : ['defaults', 'schedule'];
    const where = at.join('.').replace(/\.(\d+)/g, '[$1]');
    if (schedule === undefined) {
      if (policy.maxAge ?? config.defaults.maxAge) return [];
      return [{ path: ['policies', index], message: `policies[${index}]: no schedule and no maxAge; set schedule (cron or every, or manual) or maxAge` }];
    }
    if (schedule === 'manual') return [];
    if ((schedule.cron === undefined) === (schedule.every === undefined)) {
      return [{ path: at, message: `${where}: set exactly one of cron and every` }];
    }
    if (schedule.cron === undefined) {
      return schedule.timezone === undefined ? [] : [{ path: [...at, 'timezone'], message: `${where}.timezone: timezone applies only to cron` }];
    }
    const timezone = schedule.timezone ?? 'UTC';
    if (!isValidTimezone(timezone))
      return [{ path: [...at, 'timezone'], message: `${where}.timezone: unknown timezone '${timezone}' (use an IANA name such as Europe/Berlin)` }];
    const problem = cronProblem(schedule.cron, timezone);
    return problem === undefined ? [] : [{ path: [...at, 'cron'], message: `${where}.cron: ${problem}` }];
  });

/** Each adapter's own rules about the rest of the config (a consumer naming another policy or store). */
const adapterRules: Rule = (config) => {
  const stores = Object.keys(config.stores);
  const policies = config.policies.map((p) => ({ name: p.name, providerType: p.provider.type }));
  return config.policies.flatMap((policy, index) => {
    const view: ConfigView = {
      policy: {
        name: policy.name,
        store: policy.store ?? config.defaults.store ?? (stores.length === 1 ? stores[0] : undefined),
        secretPath: policy.secret?.path,
      },
      policies,
      stores,
    };
    return policy.consumers.flatMap((consumer, c) => {
      const definition: AdapterDefinition<z.ZodType, unknown> = consumerRegistry[consumer.type];
      return (definition.rules?.(consumer, view) ?? []).map(({ key, message }): Problem => ({
        path: ['policies', index, 'consumers', c, ...key],
        message: `policies[${index}].consumers[${c}].${key.join('.')}: ${message}`,
      }));
    });
  });
};

/** `assist.askWithin` names days, hours and a timezone that exist; `assist.timezone` a timezone that exists. */
const askWindowsValid: Rule = (config) => {
  const check = (text: string | undefined, path: (string | number)[]): Problem[] => {
    if (text === undefined) return [];
    const window = parseAskWindow(text);
    return typeof window === 'string' ? [{ path, message: `${path.join('.').replace(/\.(\d+)/g, '[$1]')}: ${window}` }] : [];
  };
  const zone = (text: string | undefined, path: (string | number)[]): Problem[] =>
    text === undefined || isValidTimezone(text)
      ? []
      : [{ path, message: `${path.join('.').replace(/\.(\d+)/g, '[$1]')}: unknown timezone '${text}' (use an IANA name such as Europe/Berlin)` }];
  return [
    ...check(config.defaults.assist?.askWithin, ['defaults', 'assist', 'askWithin']),
    ...config.policies.flatMap((p, index) => check(p.assist?.askWithin, ['policies', index, 'assist', 'askWithin'])),
    ...zone(config.defaults.assist?.timezone, ['defaults', 'assist', 'timezone']),
    ...config.policies.flatMap((p, index) => zone(p.assist?.timezone, ['policies', index, 'assist', 'timezone'])),
  ];
};

/** Cross-field rules, each returning `path: message` problems (changesets' style). */
const CONFIG_RULES: readonly Rule[] = [
  uniquePolicyNames,
  storesExist,
  notifiersExist,
  schedulesValid,
  adapterRules,
  askWindowsValid,
  leaseLongEnough,
  shardingStoreShared,
];

export function checkRules(config: RotadConfig): Problem[] {
  return CONFIG_RULES.flatMap((rule) => rule(config));
}
