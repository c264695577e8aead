// GDPR requests register: request kinds with their article, and how urgent an open request is.
import type { GdprRequest, RequestKind } from './api';

export const REQUEST_KINDS: readonly RequestKind[] = [
  'access',
  'rectification',
  'erasure',
  'restriction',
  'portability',
  'objection',
];

/** The GDPR article of each right. */
export const GDPR_ARTICLE: Record<RequestKind, number> = {
  access: 15,
  rectification: 16,
  erasure: 17,
  restriction: 18,
  portability: 20,
  objection: 21,
};

/** Days from `from` to `to` (both `YYYY-MM-DD`, or longer ISO strings whose date part is used). */
export function daysBetween(from: string, to: string): number {
  const d = (s: string) => {
    const [y, m, day] = s.slice(0, 10).split('-').map(Number);
    return Date.UTC(y, m - 1, day);
  };
  return Math.round((d(to) - d(from)) / 86_400_000);
}

/** Not answered yet: `open`, or `extended` (open with its deadline extended). */
export function isOpen(r: Pick<GdprRequest, 'status'>): boolean {
  return r.status !== 'closed';
}

export type Urgency = 'overdue' | 'soon' | null;

/** Overdue (past due and open), due soon (open, due within `soonDays` days), or nothing. */
export function requestUrgency(
  r: Pick<GdprRequest, 'status' | 'due' | 'overdue'>,
  today: string,
  soonDays = 7,
): Urgency {
  if (!isOpen(r)) return null;
  const left = daysBetween(today, r.due);
  if (r.overdue || left < 0) return 'overdue';
  return left <= soonDays ? 'soon' : null;
}

/** Open requests (extended ones included) first (most urgent first), then closed ones (most recently received first). */
export function sortRequests<T extends Pick<GdprRequest, 'status' | 'due' | 'received' | 'id'>>(
  list: T[],
): T[] {
  return [...list].sort((a, b) => {
    if (isOpen(a) !== isOpen(b)) return isOpen(a) ? -1 : 1;
    if (isOpen(a)) return a.due.localeCompare(b.due) || a.id - b.id;
    return b.received.localeCompare(a.received) || b.id - a.id;
  });
}
