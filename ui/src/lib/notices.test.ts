import { afterEach, describe, expect, it, vi } from 'vitest';
import { setLocale } from './i18n.svelte';
import { clearNotices, dismissNotice, inboxCounts, inboxText, notices, notify } from './notices.svelte';

afterEach(() => {
  clearNotices();
  vi.useRealTimers();
});

describe('notices', () => {
  it('shows, dismisses and caps the list', () => {
    const a = notify('ok', 'a');
    notify('error', 'b');
    expect(notices.list.map((n) => n.text)).toEqual(['a', 'b']);
    dismissNotice(a);
    expect(notices.list.map((n) => n.text)).toEqual(['b']);
    for (const t of ['c', 'd', 'e', 'f']) notify('info', t);
    expect(notices.list.map((n) => n.text)).toEqual(['c', 'd', 'e', 'f']);
  });

  it('lets a short notice go by itself', () => {
    vi.useFakeTimers();
    notify('ok', 'done', 1000);
    notify('error', 'stays');
    vi.advanceTimersByTime(1001);
    expect(notices.list.map((n) => n.text)).toEqual(['stays']);
  });
});

describe('inboxCounts', () => {
  it('counts each outcome', () => {
    const f = (status: 'imported' | 'duplicate' | 'failed') => ({ name: 'a.pdf', status, id: null, reason: null });
    expect(inboxCounts([f('imported'), f('imported'), f('duplicate'), f('failed')])).toEqual({
      imported: 2,
      duplicate: 1,
      failed: 1,
    });
    expect(inboxCounts([])).toEqual({ imported: 0, duplicate: 0, failed: 0 });
  });
});

describe('inboxText', () => {
  const f = (status: 'imported' | 'duplicate' | 'failed') => ({ name: 'a.pdf', status, id: null, reason: null });
  it('says what happened to the files', () => {
    setLocale('en');
    expect(inboxText([f('imported')])).toBe('1 file that arrived while Coffre was locked was imported.');
    expect(inboxText([f('imported'), f('imported'), f('duplicate'), f('failed')])).toBe(
      '2 files that arrived while Coffre was locked were imported. 1 was already in the vault. 1 could not be imported.',
    );
    expect(inboxText([f('failed'), f('failed')])).toBe(
      '2 files arrived while Coffre was locked. 2 could not be imported.',
    );
    setLocale('fr');
    expect(inboxText([f('imported'), f('imported')])).toBe(
      '2 fichiers arrivés pendant que Coffre était verrouillé ont été importés.',
    );
    setLocale('auto');
  });
});
