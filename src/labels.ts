import { z } from 'zod';
import { RotadError } from './errors.js';

/**
 * Policy labels and the selectors that match them, as Kubernetes writes them: `team=support`,
 * `vendor!=gladly`, `tier in (prod,staging)`, `tier notin (dev)`, `pager` (the key is set) and
 * `!pager` (it is not), joined by commas: every requirement must hold.
 */
const KEY = /^[a-zA-Z0-9]([-a-zA-Z0-9_.]{0,61}[a-zA-Z0-9])?$/;
const VALUE = /^([a-zA-Z0-9]([-a-zA-Z0-9_.]{0,61}[a-zA-Z0-9])?)?$/;

export const LabelKey = z.string().regex(KEY, { error: 'a label key is 1–63 letters, digits, "-", "_" or "." and starts and ends with a letter or digit' });
export const LabelValue = z
  .string()
  .regex(VALUE, { error: 'a label value is at most 63 letters, digits, "-", "_" or "." and starts and ends with a letter or digit' });

export type Labels = Readonly<Record<string, string>>;

type Requirement =
  { key: string; op: 'in'; values: string[] } | { key: string; op: 'notin'; values: string[] } | { key: string; op: 'exists' } | { key: string; op: 'absent' };

/** A parsed selector; `text` is what the user wrote, for messages and the audit trail. */
export interface Selector {
  text: string;
  requirements: Requirement[];
}

function invalid(text: string, why: string): RotadError {
  return new RotadError(
    'USAGE_INVALID',
    `selector '${text}': ${why}; expected requirements joined by commas, e.g. vendor=gladly,team=support or 'tier in (prod,staging)'`,
  );
}

/** Splits at commas outside parentheses. */
function splitRequirements(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i += 1) {
    if (text[i] === '(') depth += 1;
    else if (text[i] === ')') depth -= 1;
    else if (text[i] === ',' && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts.map((part) => part.trim());
}

function parseRequirement(part: string, text: string): Requirement {
  const checkKey = (key: string): string => {
    if (!KEY.test(key)) throw invalid(text, `'${key}' is not a label key`);
    return key;
  };
  const checkValues = (values: string[]): string[] => {
    for (const value of values) if (!VALUE.test(value)) throw invalid(text, `'${value}' is not a label value`);
    return values;
  };
  const set = /^(\S+)\s+(in|notin)\s*\(([^)]*)\)$/.exec(part);
  if (set) {
    const values = set[3]!.split(',').map((v) => v.trim());
    return { key: checkKey(set[1]!), op: set[2] as 'in' | 'notin', values: checkValues(values) };
  }
  const equality = /^([^=!\s]+)\s*(==|=|!=)\s*(\S*)$/.exec(part);
  if (equality) {
    const values = checkValues([equality[3]!]);
    return { key: checkKey(equality[1]!), op: equality[2] === '!=' ? 'notin' : 'in', values };
  }
  if (part.startsWith('!')) return { key: checkKey(part.slice(1).trim()), op: 'absent' };
  if (part === '') throw invalid(text, 'an empty requirement');
  return { key: checkKey(part), op: 'exists' };
}

export function parseSelector(text: string): Selector {
  if (text.trim() === '') throw invalid(text, 'it is empty');
  return { text, requirements: splitRequirements(text).map((part) => parseRequirement(part, text)) };
}

export function matchesSelector(selector: Selector, labels: Labels): boolean {
  return selector.requirements.every((r) => {
    const value = Object.hasOwn(labels, r.key) ? labels[r.key] : undefined;
    switch (r.op) {
      case 'in':
        return value !== undefined && r.values.includes(value);
      case 'notin':
        return value === undefined || !r.values.includes(value);
      case 'exists':
        return value !== undefined;
      case 'absent':
        return value === undefined;
    }
  });
}
