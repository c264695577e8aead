import { describe, expect, it, vi } from 'vitest';

vi.mock('./api', () => ({}));
vi.mock('./pdf', () => ({}));

const { printKind, toBytes } = await import('./printing.svelte');

const detail = (media_type: string, format?: string) =>
  ({ document: { media_type }, fields: format ? { format } : {} }) as never;

describe('how a document prints', () => {
  it('follows what the detail screen previews', () => {
    expect(printKind(detail('application/pdf', 'factur-x'))).toBe('pdf');
    expect(printKind(detail('application/xml', 'ubl'))).toBe('invoice');
    expect(printKind(detail('text/plain', 'cii'))).toBe('invoice');
    expect(printKind(detail('image/jpeg'))).toBe('image');
    expect(printKind(detail('message/rfc822', 'message'))).toBe('text');
    // A TIFF scan has no web preview: its OCR text is printed.
    expect(printKind(detail('image/tiff'))).toBe('text');
  });

  it('takes the bytes as the IPC answers them', () => {
    expect(toBytes([1, 2])).toEqual(new Uint8Array([1, 2]));
    expect(toBytes(new Uint8Array([3]).buffer)).toEqual(new Uint8Array([3]));
    expect(() => toBytes('x')).toThrow();
  });
});
