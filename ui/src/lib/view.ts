// How a document is shown, by what it is: the detail screen's preview and the print view follow
// this one rule.
import type { Detail } from './api';

/** `pdf` (pages drawn by pdf.js), `xml` (an e-invoice's readable view), `message` (an e-mail's
 * text), `image` (JPEG, PNG and the other images a web view shows) or `none`. */
export type ViewKind = 'pdf' | 'xml' | 'message' | 'image' | 'none';

export function viewKind(detail: Pick<Detail, 'document' | 'fields'>): ViewKind {
  const media = detail.document.media_type;
  const format = detail.fields?.format;
  if (media === 'application/pdf') return 'pdf';
  if (format === 'message') return 'message';
  if (media.includes('xml') || format === 'ubl' || format === 'cii') return 'xml';
  // Web views show JPEG and PNG; a TIFF scan has no preview (its OCR text is shown).
  if (media.startsWith('image/') && media !== 'image/tiff') return 'image';
  return 'none';
}
