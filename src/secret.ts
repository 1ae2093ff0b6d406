import { inspect } from 'node:util';

/**
 * Every secret value rotad has held in this process. The log scrubber removes each of them from
 * every output line, so a secret that slips past path redaction still never reaches a log.
 */
const knownValues = new Set<string>();
const MAX_KNOWN = 10_000;
/** Values shorter than this are too likely to match ordinary text to be scrubbed by value. */
const MIN_SCRUB_LENGTH = 6;

export const REDACTED = '[REDACTED]';

/**
 * The forms of the known values as they may appear in output (raw, and JSON-escaped where that
 * differs), by their first MIN_SCRUB_LENGTH characters: scrubbing a line costs one lookup per
 * character, whatever the number of known values (a fleet of 10,000 policies knows 10,000).
 */
const formsByPrefix = new Map<string, Set<string>>();

function formsOf(value: string): string[] {
  const escaped = JSON.stringify(value).slice(1, -1);
  return escaped === value ? [value] : [value, escaped];
}

function index(value: string, add: boolean): void {
  for (const form of formsOf(value)) {
    const prefix = form.slice(0, MIN_SCRUB_LENGTH);
    const forms = formsByPrefix.get(prefix);
    if (add) {
      if (forms) forms.add(form);
      else formsByPrefix.set(prefix, new Set([form]));
    } else if (forms) {
      forms.delete(form);
      if (forms.size === 0) formsByPrefix.delete(prefix);
    }
  }
}

function remember(value: string): void {
  if (value.length < MIN_SCRUB_LENGTH || knownValues.has(value)) return;
  if (knownValues.size >= MAX_KNOWN) {
    const oldest = knownValues.values().next().value;
    if (oldest !== undefined) {
      knownValues.delete(oldest);
      index(oldest, false);
    }
  }
  knownValues.add(value);
  index(value, true);
}

/**
 * A secret value that cannot be printed by accident: JSON, string conversion and util.inspect
 * all yield "[REDACTED]". Only `reveal()` gives the value, and callers use it at the last moment.
 */
export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
    remember(value);
  }

  reveal(): string {
    return this.#value;
  }

  toJSON(): string {
    return REDACTED;
  }

  toString(): string {
    return REDACTED;
  }

  [inspect.custom](): string {
    return `Secret(${REDACTED})`;
  }
}

/** Registers a value as secret without wrapping it (e.g. key material read from a file). */
export function registerSecretValue(value: string): void {
  remember(value);
}

/** Replaces every known secret value in `text`, raw and JSON-escaped, with "[REDACTED]". */
export function scrub(text: string): string {
  if (formsByPrefix.size === 0 || text.length < MIN_SCRUB_LENGTH) return text;
  let out = '';
  let copiedTo = 0;
  for (let i = 0; i <= text.length - MIN_SCRUB_LENGTH;) {
    const forms = formsByPrefix.get(text.slice(i, i + MIN_SCRUB_LENGTH));
    let match = '';
    if (forms) for (const form of forms) if (form.length > match.length && text.startsWith(form, i)) match = form;
    if (match === '') {
      i += 1;
      continue;
    }
    out += text.slice(copiedTo, i) + REDACTED;
    i += match.length;
    copiedTo = i;
  }
  return copiedTo === 0 ? text : out + text.slice(copiedTo);
}
