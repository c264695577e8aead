import { beforeEach, describe, expect, it, vi } from 'vitest';

const documentsPage = vi.fn();
vi.mock('./api', () => ({ documentsPage }));

const { DEFAULT_QUERY, PAGE_ROWS, dropFirstPage, prefetchFirstPage, takeFirstPage } = await import('./firstPage');

const page = (n: number) => ({ rows: [], total: n });

describe('the first page asked for at unlock', () => {
  beforeEach(() => {
    documentsPage.mockReset();
    dropFirstPage();
  });

  it('asks the vault at once, and answers the table first request of the default view once', async () => {
    documentsPage.mockResolvedValue(page(7));
    prefetchFirstPage();
    expect(documentsPage).toHaveBeenCalledWith({ ...DEFAULT_QUERY }, 0, PAGE_ROWS);
    const taken = takeFirstPage({ ...DEFAULT_QUERY }, 0, PAGE_ROWS);
    expect(taken).not.toBeNull();
    expect(await taken).toEqual(page(7));
    expect(takeFirstPage({ ...DEFAULT_QUERY }, 0, PAGE_ROWS)).toBeNull();
  });

  it('never answers another query, another page or another size', () => {
    documentsPage.mockResolvedValue(page(1));
    for (const [q, offset, limit] of [
      [{ ...DEFAULT_QUERY, text: 'EUR' }, 0, PAGE_ROWS],
      [{ ...DEFAULT_QUERY }, PAGE_ROWS, PAGE_ROWS],
      [{ ...DEFAULT_QUERY }, 0, 10],
    ] as const) {
      prefetchFirstPage();
      expect(takeFirstPage(q, offset, limit)).toBeNull();
    }
  });

  it('is forgotten at a lock', () => {
    documentsPage.mockResolvedValue(page(1));
    prefetchFirstPage();
    dropFirstPage();
    expect(takeFirstPage({ ...DEFAULT_QUERY }, 0, PAGE_ROWS)).toBeNull();
  });

  it('hands a failure to whoever takes it', async () => {
    documentsPage.mockRejectedValue(new Error('locked'));
    prefetchFirstPage();
    await expect(takeFirstPage({ ...DEFAULT_QUERY }, 0, PAGE_ROWS)).rejects.toThrow('locked');
  });
});
