import { describe, expect, it } from 'vitest';
import { viewKind } from './view';

const detail = (media_type: string, format?: string) =>
  ({ document: { media_type }, fields: format ? { format } : {} }) as never;

describe('how a document is shown (and printed)', () => {
  it('goes by media type and extracted format', () => {
    expect(viewKind(detail('application/pdf', 'factur-x'))).toBe('pdf');
    expect(viewKind(detail('application/xml', 'ubl'))).toBe('xml');
    expect(viewKind(detail('text/plain', 'cii'))).toBe('xml');
    expect(viewKind(detail('image/jpeg'))).toBe('image');
    expect(viewKind(detail('message/rfc822', 'message'))).toBe('message');
    // A TIFF scan has no web preview: its OCR text stands for it.
    expect(viewKind(detail('image/tiff'))).toBe('none');
  });
});
