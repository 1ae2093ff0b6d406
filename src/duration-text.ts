import { z } from 'zod';
import { parseDuration } from './duration.js';

/** A duration in the YAML: `500ms`, `30s`, `15m`, `12h`, `30d`, `2w`. */
export const DurationText = z
  .string()
  .refine((text) => parseDuration(text) !== undefined, { error: 'expected a duration such as 30s, 15m, 12h, 30d or 2w, at most 3650d' });

/** Milliseconds of a DurationText that already passed validation. */
export function durationMs(text: string): number {
  const ms = parseDuration(text);
  if (ms === undefined) throw new Error(`unvalidated duration '${text}'`);
  return ms;
}
