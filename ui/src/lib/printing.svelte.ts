// Printing documents: their pages laid out, from memory, in the print-only view (PrintView),
// then the operating system's print dialog opened on the window. A PDF's pages are drawn by
// pdf.js and kept as images behind blob: URLs, an e-invoice is shown as its readable view, a
// photo or scan as itself, an e-mail or any other file as its text (as lib/view.ts decides for
// the preview): nothing is written to a file. The view is kept until the next print job or a
// lock (the dialog prints it when the owner confirms).
import { tick } from 'svelte';
import { documentBytes, documentDetail, documentsPrint, documentText, type Detail } from './api';
import { loadPdf } from './pdf';
import { viewKind } from './view';

/** One document laid out for printing. */
export type PrintItem =
  | { id: string; name: string; kind: 'pages'; pages: string[] }
  | { id: string; name: string; kind: 'invoice'; fields: Detail['fields'] }
  | { id: string; name: string; kind: 'text'; text: string };

export const printJob = $state<{ items: PrintItem[] }>({ items: [] });

/** Pages are drawn at 150 dots per inch. */
const DPI = 150;

/** Bytes as the IPC answers them. */
export function toBytes(v: unknown): Uint8Array {
  if (v instanceof Uint8Array) return v;
  if (v instanceof ArrayBuffer) return new Uint8Array(v);
  if (Array.isArray(v)) return Uint8Array.from(v as number[]);
  throw new Error('unexpected bytes');
}

function canvasBlob(canvas: HTMLCanvasElement): Promise<Blob> {
  return new Promise((resolve, reject) =>
    canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('page not drawn'))), 'image/png'),
  );
}

async function pdfPages(bytes: Uint8Array): Promise<string[]> {
  const pdf = await loadPdf(bytes);
  try {
    const urls: string[] = [];
    for (let n = 1; n <= pdf.numPages; n++) {
      const page = await pdf.getPage(n);
      const vp = page.getViewport({ scale: DPI / 72 });
      const canvas = document.createElement('canvas');
      canvas.width = Math.floor(vp.width);
      canvas.height = Math.floor(vp.height);
      const ctx = canvas.getContext('2d');
      if (!ctx) throw new Error('no canvas');
      await page.render({ canvasContext: ctx, canvas, viewport: vp }).promise;
      urls.push(URL.createObjectURL(await canvasBlob(canvas)));
      canvas.width = canvas.height = 0;
    }
    return urls;
  } finally {
    void pdf.destroy();
  }
}

/** What a screen already holds of a document: its detail and, once read, its bytes. */
export type Loaded = Record<string, { detail: Detail; bytes: Uint8Array | null }>;

async function layOut(id: string, loaded: Loaded): Promise<PrintItem> {
  const detail = loaded[id]?.detail ?? (await documentDetail(id));
  const bytes = async () => loaded[id]?.bytes ?? toBytes(await documentBytes(id));
  const name = detail.document.name;
  switch (viewKind(detail)) {
    case 'pdf':
      return { id, name, kind: 'pages', pages: await pdfPages(await bytes()) };
    case 'image': {
      const blob = new Blob([(await bytes()).slice()], { type: detail.document.media_type });
      return { id, name, kind: 'pages', pages: [URL.createObjectURL(blob)] };
    }
    case 'xml':
      return { id, name, kind: 'invoice', fields: detail.fields };
    case 'message':
    case 'none':
      return { id, name, kind: 'text', text: (await documentText(id)) ?? '' };
  }
}

/** Empties the print-only view and frees its page images. */
export function clearPrint(): void {
  for (const item of printJob.items) {
    if (item.kind === 'pages') item.pages.forEach((u) => URL.revokeObjectURL(u));
  }
  printJob.items = [];
}

/** Lays out `ids` (in order) for printing and opens the print dialog: one job for all. What
 * `loaded` holds is used as is; the rest is asked for. */
export async function printDocuments(ids: string[], loaded: Loaded = {}): Promise<void> {
  const items: PrintItem[] = [];
  try {
    for (const id of ids) items.push(await layOut(id, loaded));
  } catch (e) {
    for (const item of items) if (item.kind === 'pages') item.pages.forEach((u) => URL.revokeObjectURL(u));
    throw e;
  }
  clearPrint();
  printJob.items = items;
  await tick();
  const images = Array.from(document.querySelectorAll<HTMLImageElement>('.print-root img'));
  await Promise.all(images.map((img) => img.decode().catch(() => {})));
  await documentsPrint(ids);
}
