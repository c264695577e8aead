// Bundle periods: the quick choices offered on the share screen, a client-side check of the
// period syntax the core accepts (`2026-Q3`, `2026-10`, `2026`, `2026-01-01..2026-06-30`) and a
// file-name friendly form of a period. Pure functions; `today` is passed in for testability.

export type PeriodPreset = 'last_month' | 'last_quarter' | 'this_year' | 'last_year';

export const PERIOD_PRESETS: readonly PeriodPreset[] = [
  'last_month',
  'last_quarter',
  'this_year',
  'last_year',
];

const pad = (n: number) => String(n).padStart(2, '0');

/** The period string of a preset, relative to `today` (local calendar date). */
export function presetPeriod(preset: PeriodPreset, today: Date = new Date()): string {
  const y = today.getFullYear();
  const m = today.getMonth() + 1; // 1..12
  switch (preset) {
    case 'last_month':
      return m === 1 ? `${y - 1}-12` : `${y}-${pad(m - 1)}`;
    case 'last_quarter': {
      const q = Math.floor((m - 1) / 3) + 1;
      return q === 1 ? `${y - 1}-Q4` : `${y}-Q${q - 1}`;
    }
    case 'this_year':
      return String(y);
    case 'last_year':
      return String(y - 1);
  }
}

function daysInMonth(y: number, m: number): number {
  return new Date(Date.UTC(y, m, 0)).getUTCDate();
}

function validDay(s: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  return mo >= 1 && mo <= 12 && d >= 1 && d <= daysInMonth(y, mo);
}

/** First and last day (inclusive, `YYYY-MM-DD`) of a period, or null when it is not one. */
export function parsePeriod(input: string): { from: string; to: string } | null {
  const s = input.trim();
  const range = s.split('..');
  if (range.length === 2) {
    const [a, b] = [range[0].trim(), range[1].trim()];
    if (!validDay(a) || !validDay(b) || a > b) return null;
    return { from: a, to: b };
  }
  if (range.length > 2) return null;
  let m = /^(\d{4})$/.exec(s);
  if (m) return { from: `${m[1]}-01-01`, to: `${m[1]}-12-31` };
  m = /^(\d{4})-[Qq]([1-4])$/.exec(s);
  if (m) {
    const y = Number(m[1]);
    const last = Number(m[2]) * 3;
    return {
      from: `${m[1]}-${pad(last - 2)}-01`,
      to: `${m[1]}-${pad(last)}-${pad(daysInMonth(y, last))}`,
    };
  }
  m = /^(\d{4})-(\d{2})$/.exec(s);
  if (m) {
    const mo = Number(m[2]);
    if (mo < 1 || mo > 12) return null;
    return { from: `${m[1]}-${m[2]}-01`, to: `${m[1]}-${m[2]}-${pad(daysInMonth(Number(m[1]), mo))}` };
  }
  return null;
}

/** A period as it may appear in a file name (`2026-01-01..2026-06-30` → `2026-01-01_2026-06-30`). */
export function periodForFile(period: string): string {
  return period
    .trim()
    .replace(/\s*\.\.\s*/g, '_')
    .replace(/[^0-9A-Za-z_-]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

/** Today as `YYYY-MM-DD` in local time. */
export function todayIso(today: Date = new Date()): string {
  return `${today.getFullYear()}-${pad(today.getMonth() + 1)}-${pad(today.getDate())}`;
}
