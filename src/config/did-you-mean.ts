import type { z } from 'zod';
import type { ConfigPath } from './locate.js';

/** What the walk needs of a zod schema's definition (zod 4's `_zod.def`). */
interface Def {
  type: string;
  shape?: Record<string, z.ZodType>;
  innerType?: z.ZodType;
  in?: z.ZodType;
  element?: z.ZodType;
  valueType?: z.ZodType;
  options?: z.ZodType[];
  discriminator?: string;
  values?: unknown[];
}

const defOf = (schema: z.ZodType): Def => (schema as unknown as { _zod: { def: Def } })._zod.def;

/** A field of a value from the file: a plain object's, or a YAML map node's. */
function field(value: unknown, key: string): unknown {
  if (typeof value !== 'object' || value === null) return undefined;
  const map = value as { get?: (key: string) => unknown };
  return typeof map.get === 'function' ? map.get(key) : (value as Record<string, unknown>)[key];
}

/** The schema without its wrappers (optional, default, nullable, a pipe's input), and for a union the option the value picks. */
function unwrap(schema: z.ZodType, value: unknown): z.ZodType | undefined {
  let current: z.ZodType | undefined = schema;
  for (let depth = 0; current !== undefined && depth < 10; depth += 1) {
    const def = defOf(current);
    if (def.innerType) current = def.innerType;
    else if (def.type === 'pipe' && def.in) current = def.in;
    else if (def.type === 'union' && def.options) {
      const discriminator = def.discriminator;
      const picked = discriminator === undefined ? undefined : field(value, discriminator);
      current = def.options.find((option) => {
        const tag = discriminator ? defOf(option).shape?.[discriminator] : undefined;
        return tag !== undefined && defOf(tag).values?.includes(picked);
      });
    } else return current;
  }
  return current;
}

/** The keys an object at `path` may have, walking the schema alongside the file's values; undefined where the walk cannot tell. */
export function keysAt(schema: z.ZodType, path: ConfigPath, valueAt: (path: ConfigPath) => unknown): string[] | undefined {
  let current = unwrap(schema, valueAt([]));
  for (let i = 0; i < path.length && current !== undefined; i += 1) {
    const def = defOf(current);
    const next = def.type === 'object' ? def.shape?.[String(path[i])] : def.type === 'array' ? def.element : def.type === 'record' ? def.valueType : undefined;
    current = next && unwrap(next, valueAt(path.slice(0, i + 1)));
  }
  const shape = current && defOf(current).shape;
  return shape ? Object.keys(shape) : undefined;
}

/** Edit distance (insertions, deletions, substitutions, and swaps of neighbours). */
function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i += 1) {
    for (let j = 1; j <= b.length; j += 1) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  }
  return d[a.length]![b.length]!;
}

/** The candidate `word` was most likely meant to be (case aside, at most a third of it mistyped), if any. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: { candidate: string; score: number } | undefined;
  for (const candidate of candidates) {
    const score = distance(word.toLowerCase(), candidate.toLowerCase());
    if (score <= Math.max(1, Math.floor(candidate.length / 3)) && (best === undefined || score < best.score)) best = { candidate, score };
  }
  return best?.candidate;
}
