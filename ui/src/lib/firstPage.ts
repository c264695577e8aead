// The documents table's first page, asked for the moment the vault opens: the request goes out
// while the main screen is still being built (and before its other calls), instead of after the
// table has mounted. The table takes it once, for its first page of the default view; any other
// query, a later page, or a lock in between asks the vault afresh.
import { documentsPage, type DocQuery, type Page } from './api';

/** What the documents table shows when nothing is filtered. */
export const DEFAULT_QUERY: Readonly<DocQuery> = Object.freeze({
  text: '',
  from: null,
  to: null,
  seller: null,
  category: null,
  status: null,
  direction: null,
  payment: null,
  copies: false,
});

/** Rows per page of the documents table. */
export const PAGE_ROWS = 100;

let pending: { key: string; limit: number; page: Promise<Page> } | null = null;

/** Asks for the first `limit` rows of the default view now. */
export function prefetchFirstPage(limit = PAGE_ROWS): void {
  const page = documentsPage({ ...DEFAULT_QUERY }, 0, limit);
  // Whoever takes it sees the failure; nobody taking it is not an error.
  page.catch(() => {});
  pending = { key: JSON.stringify(DEFAULT_QUERY), limit, page };
}

/** The prefetched page if it answers exactly this request (once), else null. */
export function takeFirstPage(query: DocQuery, offset: number, limit: number): Promise<Page> | null {
  const p = pending;
  pending = null;
  if (!p || offset !== 0 || p.limit !== limit || p.key !== JSON.stringify(query)) return null;
  return p.page;
}

/** Forgets a prefetched page (the vault was locked). */
export function dropFirstPage(): void {
  pending = null;
}
