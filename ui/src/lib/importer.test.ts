import { describe, expect, it, vi } from 'vitest';

vi.mock('./api', () => ({ onIngest: vi.fn() }));
vi.mock('./session.svelte', () => ({
  baseName: (p: string) => p.split('/').pop() ?? p,
  documentsChanged: vi.fn(),
}));

const { importer, handleIngest, closeImport, noteQueued } = await import('./importer.svelte');

const counts = { queued: 1, stored: 1, duplicate: 0, failed: 0, bytes: 10 };

describe('import panel state', () => {
  it('follows a job to its outcome', () => {
    closeImport();
    noteQueued(['/in/a.pdf'], [1]);
    expect(importer.open).toBe(true);
    expect(importer.rows.map((r) => r.state)).toEqual(['queued']);
    handleIngest({ event: 'extracting', job: 1, path: '/in/a.pdf' });
    handleIngest({ event: 'stored', job: 1, path: '/in/a.pdf', id: 'd1', bytes: 10, parts: [], counts });
    expect(importer.rows).toHaveLength(1);
    expect(importer.rows[0]).toMatchObject({ name: 'a.pdf', state: 'stored', id: 'd1' });
  });

  it('shows which page OCR reads, until the scan is stored', () => {
    closeImport();
    handleIngest({ event: 'extracting', job: 3, path: '/in/scan.pdf' });
    handleIngest({ event: 'reading', job: 3, path: '/in/scan.pdf', page: 2, pages: 5 });
    expect(importer.rows[0]).toMatchObject({ state: 'reading', ocr: { page: 2, pages: 5 } });
    handleIngest({ event: 'stored', job: 3, path: '/in/scan.pdf', id: 'd3', bytes: 10, parts: [], counts });
    expect(importer.rows[0]).toMatchObject({ state: 'stored', ocr: null });
  });

  it('counts an e-mail\'s attachments kept and left out', () => {
    closeImport();
    handleIngest({ event: 'extracting', job: 4, path: '/in/facture.eml' });
    const part = (name: string, status: 'imported' | 'duplicate' | 'skipped') => ({
      name,
      status,
      id: status === 'skipped' ? null : `id-${name}`,
      reason: status === 'skipped' ? 'a small inline image (logo or signature)' : null,
    });
    handleIngest({
      event: 'stored',
      job: 4,
      path: '/in/facture.eml',
      id: 'm4',
      bytes: 10,
      parts: [part('a.pdf', 'imported'), part('b.pdf', 'duplicate'), part('logo.png', 'skipped')],
      counts,
    });
    expect(importer.rows[0]).toMatchObject({ state: 'stored', parts: { kept: 2, skipped: 1 } });
  });

  it('is not reopened by a late reply for a batch already finished and closed', () => {
    closeImport();
    // The events beat the command's reply: the batch ends, the user closes the panel...
    handleIngest({ event: 'queued', job: 7, path: '/in/b.pdf', counts });
    handleIngest({ event: 'failed', job: 7, path: '/in/b.pdf', reason: 'gone', counts });
    closeImport();
    // ...then the reply of `import_paths` arrives.
    noteQueued(['/in/b.pdf'], [7]);
    expect(importer.open).toBe(false);
    expect(importer.rows).toHaveLength(0);
  });
});
