import { Cron } from 'croner';

/** A policy's schedule after normalisation: a cron expression in a timezone, or a fixed interval. */
export type Schedule =
  | { kind: 'cron'; expression: string; timezone: string }
  | { kind: 'every'; intervalMs: number }
  /** No slots: rotated on request, at maxAge and before expiry only. */
  | { kind: 'manual' };

/**
 * Builds a croner job that only computes dates (never fires). Day-of-month and day-of-week are
 * combined with OR, as Vixie cron and crontab(5) do; a fixed time inside a DST gap runs at the
 * first valid time after the gap instead of being skipped for the day.
 */
export function cronCalendar(expression: string, timezone: string): Cron {
  return new Cron(expression, { timezone, paused: true, mode: '5-or-6-parts', domAndDow: false });
}

/** The error text for an invalid cron expression or timezone, or undefined when it is valid. */
export function cronProblem(expression: string, timezone: string): string | undefined {
  try {
    const next = cronCalendar(expression, timezone).nextRun(new Date());
    return next === null ? `cron expression '${expression}' never fires` : undefined;
  } catch (error) {
    const message = error instanceof Error ? error.message.replace(/^CronPattern: /, '') : String(error);
    return `invalid cron expression '${expression}' (timezone ${timezone}): ${message}`;
  }
}

export function isValidTimezone(timezone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
    return true;
  } catch {
    return false;
  }
}

/** The first slot of `schedule` strictly after `after`, or undefined for a cron that never fires. */
export function slotAfter(schedule: Schedule, after: number): number | undefined {
  if (schedule.kind === 'manual') return undefined;
  if (schedule.kind === 'every') return after + schedule.intervalMs;
  const next = cronCalendar(schedule.expression, schedule.timezone).nextRun(new Date(after));
  return next === null ? undefined : next.getTime();
}
