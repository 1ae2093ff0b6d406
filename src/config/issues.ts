import type { z } from 'zod';
import { closest, keysAt } from './did-you-mean.js';
import { formatPath, type ConfigPath } from './locate.js';

/** A problem in the config, before it gets a file position. */
export interface Problem {
  path: ConfigPath;
  message: string;
  /** Set when the problem is a key of the map at `path` (an unknown key). */
  key?: string;
}

const KIND_BY_FIELD: Record<string, string> = { provider: 'provider', stores: 'store', notifiers: 'notifier', consumers: 'consumer' };

/** The adapter kind a `type` path belongs to: policies[0].provider.type → provider. */
function adapterKind(path: ConfigPath): string {
  const field = [...path].reverse().find((key) => typeof key === 'string' && key in KIND_BY_FIELD);
  return KIND_BY_FIELD[String(field)] ?? 'adapter';
}

/** Turns zod's issues into problems worded for a person editing YAML. */
export function problemsFromIssues(issues: readonly z.core.$ZodIssue[], valueAt: (path: ConfigPath) => unknown, schema?: z.ZodType): Problem[] {
  return issues.flatMap((issue): Problem[] => {
    const path = issue.path as ConfigPath;
    if (issue.code === 'unrecognized_keys') {
      const known = schema && keysAt(schema, path, valueAt);
      return issue.keys.map((key) => {
        const meant = known && closest(key, known);
        return { path, key, message: `${formatPath([...path, key])}: unknown key '${key}'${meant ? ` (did you mean '${meant}'?)` : ''}` };
      });
    }
    if (issue.code === 'invalid_union' && 'discriminator' in issue && issue.discriminator === 'type') {
      const value = valueAt(path);
      const known = (issue as { options?: unknown[] }).options?.join(', ') ?? '';
      const what = value === undefined ? `missing ${adapterKind(path)} type` : `unknown ${adapterKind(path)} type '${String(value)}'`;
      return [{ path, message: `${formatPath(path)}: ${what} (known: ${known})` }];
    }
    if (issue.code === 'invalid_union') {
      // A value of several forms (a schedule object or 'manual'; a duration or a share): report the
      // problems of the form whose shape matched, else the last form's own message.
      const branches = (issue as { errors?: z.core.$ZodIssue[][] }).errors ?? [];
      const shaped = branches.find((errors) => errors.length > 0 && errors.every((e) => e.path.length > 0));
      if (shaped)
        return problemsFromIssues(
          shaped.map((e) => ({ ...e, path: [...path, ...e.path] }) as z.core.$ZodIssue),
          valueAt,
          schema,
        );
      const last = branches.at(-1)?.[0];
      if (last) return [{ path, message: `${formatPath(path)}: ${last.message}` }];
    }
    if (issue.code === 'invalid_type' && valueAt(path) === undefined) {
      return [{ path, message: `${formatPath(path)}: missing required key` }];
    }
    return [{ path, message: `${formatPath(path)}: ${issue.message}` }];
  });
}
