/** Durations in the config: an integer and a unit, e.g. `500ms`, `30s`, `15m`, `12h`, `30d`, `2w`. */
const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;
const DURATION = /^(\d+)(ms|s|m|h|d|w)$/;
/** The longest duration a config may name (10 years): longer ones overflow dates and mean a typo. */
const MAX_DURATION_MS = 3650 * UNIT_MS.d;

/** Milliseconds for a duration string, or undefined when it is not one. */
export function parseDuration(text: string): number | undefined {
  const match = DURATION.exec(text.trim());
  if (!match) return undefined;
  const [, amount, unit] = match;
  const ms = Number(amount) * UNIT_MS[unit as keyof typeof UNIT_MS];
  return ms <= MAX_DURATION_MS ? ms : undefined;
}

/** A compact human form of a millisecond span, for CLI output: `3d 4h`, `12m`, `40s`. */
export function formatDuration(ms: number): string {
  const sign = ms < 0 ? '-' : '';
  let rest = Math.abs(ms);
  const parts: string[] = [];
  for (const [unit, size] of [
    ['d', UNIT_MS.d],
    ['h', UNIT_MS.h],
    ['m', UNIT_MS.m],
    ['s', UNIT_MS.s],
  ] as const) {
    const count = Math.floor(rest / size);
    if (count > 0) parts.push(`${count}${unit}`);
    rest -= count * size;
    if (parts.length === 2) break;
  }
  return sign + (parts.length > 0 ? parts.join(' ') : `${Math.round(Math.abs(ms))}ms`);
}

/** An instant to the second, as the CLI and the API show it: `2026-11-23T21:00:00Z`; `-` for none. */
export function isoSeconds(ms: number | undefined): string {
  return ms === undefined ? '-' : new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
