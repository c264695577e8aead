// Short messages shown at the top of the main layout (what background work did: a scheduled
// backup, files imported at unlock), and the update the daily check found.
import type { InboxFile, UpdateInfo } from './api';
import { tn } from './i18n.svelte';

export type NoticeKind = 'ok' | 'info' | 'error';

export interface Notice {
  id: number;
  kind: NoticeKind;
  text: string;
}

export const notices = $state<{ list: Notice[] }>({ list: [] });

/** At most this many notices at once; the oldest goes first. */
const MAX = 4;
let next = 1;
const timers = new Map<number, ReturnType<typeof setTimeout>>();

/** Shows a notice; with `ttlMs`, it goes away by itself after that long. Returns its id. */
export function notify(kind: NoticeKind, text: string, ttlMs?: number): number {
  const id = next++;
  notices.list.push({ id, kind, text });
  while (notices.list.length > MAX) dismissNotice(notices.list[0].id);
  if (ttlMs !== undefined) timers.set(id, setTimeout(() => dismissNotice(id), ttlMs));
  return id;
}

export function dismissNotice(id: number): void {
  clearTimeout(timers.get(id));
  timers.delete(id);
  notices.list = notices.list.filter((n) => n.id !== id);
}

/** Removes every notice (at lock: they speak of the vault). */
export function clearNotices(): void {
  for (const t of timers.values()) clearTimeout(t);
  timers.clear();
  notices.list = [];
}

/** How many files of an inbox import ended each way. */
export function inboxCounts(files: InboxFile[]): { imported: number; duplicate: number; failed: number } {
  const c = { imported: 0, duplicate: 0, failed: 0 };
  for (const f of files) if (f.status in c) c[f.status]++;
  return c;
}

/** The update the daily check found, and the version whose banner the owner dismissed. */
export const updates = $state<{ available: UpdateInfo | null; dismissed: string | null }>({
  available: null,
  dismissed: null,
});

export function updateFound(u: UpdateInfo): void {
  updates.available = u;
}

/** The notice for files imported at unlock: how many were imported, already there, or failed. */
export function inboxText(files: InboxFile[]): string {
  const c = inboxCounts(files);
  const parts = [
    c.imported > 0 ? tn('common.notice.inbox', c.imported) : tn('common.notice.inbox_arrived', files.length),
  ];
  if (c.duplicate > 0) parts.push(tn('common.notice.inbox_duplicate', c.duplicate));
  if (c.failed > 0) parts.push(tn('common.notice.inbox_failed', c.failed));
  return parts.join(' ');
}
