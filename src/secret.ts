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

function remember(value: string): void {
  if (value.length < MIN_SCRUB_LENGTH) return;
  if (knownValues.size >= MAX_KNOWN) {
    const oldest = knownValues.values().next().value;
    if (oldest !== undefined) knownValues.delete(oldest);
  }
  knownValues.add(value);
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
  let out = text;
  for (const value of knownValues) {
    if (out.includes(value)) out = out.split(value).join(REDACTED);
    const escaped = JSON.stringify(value).slice(1, -1);
    if (escaped !== value && out.includes(escaped)) out = out.split(escaped).join(REDACTED);
  }
  return out;
}
