// Parsing and checking of the settings screen's fields, and the retention chart's bars.

/** `MM-DD` that is a real day of a (leap) year. */
export function validMonthDay(s: string): boolean {
  const m = /^(\d{2})-(\d{2})$/.exec(s.trim());
  if (!m) return false;
  const [mo, d] = [Number(m[1]), Number(m[2])];
  const len = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
  return mo >= 1 && mo <= 12 && d >= 1 && d <= len[mo - 1];
}

/** Comma (or newline / semicolon) separated ids, trimmed, without empties and duplicates. */
export function parseIdList(s: string): string[] {
  const out: string[] = [];
  for (const part of s.split(/[,;\n]/)) {
    const v = part.trim();
    if (v && !out.includes(v)) out.push(v);
  }
  return out;
}

/** A whole number within bounds, or null. */
export function parseWhole(s: string, min = 0, max = Number.MAX_SAFE_INTEGER): number | null {
  const t = s.trim();
  if (!/^\d+$/.test(t)) return null;
  const n = Number(t);
  return n >= min && n <= max ? n : null;
}

/** Whole days elapsed since an ISO time, or null when there is none. */
export function daysSince(iso: string | null, now: Date = new Date()): number | null {
  if (!iso) return null;
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return null;
  return Math.max(0, Math.floor((now.getTime() - t) / 86_400_000));
}

/** Bars of a count-per-year chart, years ascending, each with its share of the largest count. */
export function yearBars(byYear: Record<string, number>): { year: string; count: number; pct: number }[] {
  const entries = Object.entries(byYear).sort(([a], [b]) => a.localeCompare(b));
  const max = Math.max(0, ...entries.map(([, n]) => n));
  return entries.map(([year, count]) => ({
    year,
    count,
    pct: max === 0 || count === 0 ? 0 : Math.max(2, Math.round((count / max) * 100)),
  }));
}

export const AUTO_LOCK_CHOICES = [0, 5, 10, 15, 30, 60] as const;

/** The inline outcome of saving one setting. */
export type SaveState = { state: 'saving' } | { state: 'saved' } | { state: 'error'; message: string };
