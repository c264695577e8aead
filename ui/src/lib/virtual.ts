// Pure arithmetic of the virtualised documents table: which rows to render for a scroll
// position, which pages of rows they need, and how to keep a selected row in view.

export interface RowRange {
  /** First row to render (inclusive). */
  start: number;
  /** Row after the last one to render (exclusive). */
  end: number;
}

/** Rows intersecting the viewport, widened by `overscan` rows on each side, clamped to `total`. */
export function visibleRange(
  scrollTop: number,
  viewportHeight: number,
  rowHeight: number,
  total: number,
  overscan = 8,
): RowRange {
  if (total <= 0 || rowHeight <= 0) return { start: 0, end: 0 };
  const top = Math.max(0, scrollTop);
  const firstVisible = Math.min(total - 1, Math.floor(top / rowHeight));
  const lastVisible = Math.min(total, Math.ceil((top + Math.max(0, viewportHeight)) / rowHeight));
  const start = Math.max(0, firstVisible - overscan);
  const end = Math.min(total, Math.max(lastVisible, firstVisible + 1) + overscan);
  return { start, end };
}

/** Index of the page holding row `row`. */
export function pageOf(row: number, pageSize: number): number {
  return Math.floor(row / pageSize);
}

/** Page indexes needed to show rows [start, end). */
export function pagesFor(range: RowRange, pageSize: number): number[] {
  if (range.end <= range.start) return [];
  const first = pageOf(range.start, pageSize);
  const last = pageOf(range.end - 1, pageSize);
  const pages: number[] = [];
  for (let p = first; p <= last; p++) pages.push(p);
  return pages;
}

/** Of the pages needed, those neither cached nor already being fetched. */
export function pagesToFetch(
  range: RowRange,
  pageSize: number,
  have: { has(page: number): boolean },
  inflight: { has(page: number): boolean },
): number[] {
  return pagesFor(range, pageSize).filter((p) => !have.has(p) && !inflight.has(p));
}

/**
 * The scrollTop that brings row `index` fully into view with minimal movement, or null when it
 * already is.
 */
export function scrollToReveal(
  index: number,
  rowHeight: number,
  scrollTop: number,
  viewportHeight: number,
): number | null {
  const top = index * rowHeight;
  const bottom = top + rowHeight;
  if (top < scrollTop) return top;
  if (bottom > scrollTop + viewportHeight) return Math.max(0, bottom - viewportHeight);
  return null;
}

/** A selection index moved by `delta`, clamped to [0, total). -1 when there are no rows. */
export function moveSelection(current: number, delta: number, total: number): number {
  if (total <= 0) return -1;
  if (current < 0) return delta >= 0 ? 0 : total - 1;
  return Math.max(0, Math.min(total - 1, current + delta));
}
