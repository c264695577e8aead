// The backup schedule's text (the `backup-schedule` setting) and the form that edits it:
// `off`, `daily HH:MM` or `weekly DAY HH:MM` (DAY: mon..sun; the hour may have one digit).

export const SCHEDULE_KINDS = ['off', 'daily', 'weekly'] as const;
export type ScheduleKind = (typeof SCHEDULE_KINDS)[number];

export const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Day = (typeof DAYS)[number];

/** The schedule as the form edits it; `day` and `time` are kept (unused) when they do not apply. */
export interface Schedule {
  kind: ScheduleKind;
  day: Day;
  /** `HH:MM`, two-digit hour, as an `<input type="time">` takes it. */
  time: string;
}

/** The core's default (`daily 12:30`). */
export const DEFAULT_SCHEDULE: Schedule = { kind: 'daily', day: 'mon', time: '12:30' };

/**
 * A time of day as `HH:MM` (two-digit hour), from `9:05`, `09:05` or `09:05:00` (what a time input
 * gives with seconds); null when it is not one.
 */
export function normalTime(s: string): string | null {
  const m = /^(\d{1,2}):([0-5]\d)(?::[0-5]\d(?:\.\d+)?)?$/.exec(s.trim());
  if (!m) return null;
  const h = Number(m[1]);
  if (h > 23) return null;
  return `${String(h).padStart(2, '0')}:${m[2]}`;
}

/** The form's fields from the setting's text; null when the text is not a schedule. */
export function parseSchedule(text: string): Schedule | null {
  const parts = text.trim().toLowerCase().split(/\s+/);
  if (parts.length === 1 && parts[0] === 'off') return { ...DEFAULT_SCHEDULE, kind: 'off' };
  if (parts.length === 2 && parts[0] === 'daily') {
    const time = normalTime(parts[1]);
    return time ? { kind: 'daily', day: DEFAULT_SCHEDULE.day, time } : null;
  }
  if (parts.length === 3 && parts[0] === 'weekly' && (DAYS as readonly string[]).includes(parts[1])) {
    const time = normalTime(parts[2]);
    return time ? { kind: 'weekly', day: parts[1] as Day, time } : null;
  }
  return null;
}

/** The setting's text for the form's fields; null when the time is not valid (and needed). */
export function formatSchedule(s: Schedule): string | null {
  if (s.kind === 'off') return 'off';
  const time = normalTime(s.time);
  if (!time) return null;
  return s.kind === 'daily' ? `daily ${time}` : `weekly ${s.day} ${time}`;
}

/** The same schedule written the way `formatSchedule` writes it (to compare texts); else as is. */
export function canonicalSchedule(text: string): string {
  const s = parseSchedule(text);
  return (s && formatSchedule(s)) ?? text.trim();
}
