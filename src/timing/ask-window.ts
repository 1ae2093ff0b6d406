import { cronCalendar, isValidTimezone } from './schedule.js';

/** The hours in which a person may be asked (`assist.askWithin`), as two cron calendars. */
export interface AskWindow {
  text: string;
  /** Cron expressions of the window's starts and ends, in `timezone`. */
  start: string;
  end: string;
  timezone: string;
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

/** The day numbers (0 = Sunday) of `Mon-Fri`, `Sat,Sun`, `Mon,Wed-Fri`; undefined when it is not such a list. */
function daysOf(text: string): number[] | undefined {
  const days = new Set<number>();
  for (const part of text.split(',')) {
    const [from, to] = part.split('-').map((d) => DAYS.findIndex((name) => name.toLowerCase() === d.toLowerCase()));
    if (from === undefined || from < 0 || (to !== undefined && to < 0)) return undefined;
    for (let day = from; ; day = (day + 1) % 7) {
      days.add(day);
      if (to === undefined || day === to) break;
    }
  }
  return [...days].sort();
}

/**
 * Parses `Mon-Fri 09:00-17:00 Europe/Berlin` (days, hours, optional IANA timezone, default UTC).
 * Returns the window, or the problem in words.
 */
export function parseAskWindow(text: string): AskWindow | string {
  const match = /^(\S+)\s+(\d{2}):(\d{2})-(\d{2}):(\d{2})(?:\s+(\S+))?$/.exec(text.trim());
  if (!match) return `expected days, hours and a timezone, e.g. 'Mon-Fri 09:00-17:00 Europe/Berlin'`;
  const [, dayText, h1, m1, h2, m2, timezone = 'UTC'] = match;
  const days = daysOf(dayText!);
  if (!days) return `unknown days '${dayText}': use Mon, Tue, Wed, Thu, Fri, Sat, Sun, ranges (Mon-Fri) and lists (Sat,Sun)`;
  const [startH, startM, endH, endM] = [h1, m1, h2, m2].map(Number) as [number, number, number, number];
  if (startH > 23 || endH > 24 || startM > 59 || endM > 59 || (endH === 24 && endM > 0)) return `invalid hours '${h1}:${m1}-${h2}:${m2}'`;
  if (endH * 60 + endM <= startH * 60 + startM) return `the window must end after it starts on the same day ('${h1}:${m1}-${h2}:${m2}')`;
  if (!isValidTimezone(timezone)) return `unknown timezone '${timezone}' (use an IANA name such as Europe/Berlin)`;
  const dow = days.join(',');
  const end = endH === 24 ? `59 23 * * ${dow}` : `${endM} ${endH} * * ${dow}`;
  return { text, start: `${startM} ${startH} * * ${dow}`, end, timezone };
}

/**
 * The first moment at or after `at` when a person may be asked: `at` itself inside a window,
 * else the next window's start. (Inside a window, the next end comes before the next start.)
 */
export function nextAskTime(window: AskWindow, at: number): number {
  const from = new Date(at - 1);
  const start = cronCalendar(window.start, window.timezone).nextRun(from)?.getTime() ?? Infinity;
  const end = cronCalendar(window.end, window.timezone).nextRun(from)?.getTime() ?? Infinity;
  // The end is exclusive: at 17:00 sharp a 09:00-17:00 window is over.
  const inside = start <= at || (end < start && end > at);
  return inside ? at : start;
}

/** How an assisted rotation paces its requests to a person (policy `assist:`). */
export interface AssistTiming {
  /** Repeat the request this often until it is done. */
  remindMs: number;
  /** Escalate (once) when the request is still open this long after it was made. */
  deadlineMs: number;
  /** Look for a handed-over value, or check the old credential, this often. */
  checkMs: number;
  /** The hours in which a person may be asked (`assist.askWithin`); requests and reminders wait for them. */
  window?: AskWindow | undefined;
  /** The people's time zone (`assist.timezone`, else the window's, else UTC): requests give times in it. */
  timezone?: string | undefined;
}

/**
 * A moment as the person asked reads it: `Mon 7 Dec 2026, 14:30 CET (13:30 UTC)` in their time
 * zone, with UTC beside so that nobody has to convert; just `… 13:30 UTC` when they are on UTC.
 */
export function momentForPerson(ms: number, timezone = 'UTC'): string {
  const date = new Date(ms);
  const local = new Intl.DateTimeFormat('en-GB', {
    timeZone: timezone,
    weekday: 'short',
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
    timeZoneName: 'short',
  }).format(date);
  if (timezone === 'UTC' || timezone === 'Etc/UTC') return local;
  return `${local} (${date.toISOString().slice(11, 16)} UTC)`;
}
