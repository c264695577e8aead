// Printing documents: their pages laid out, from memory, in the print-only view (PrintView),
// then the operating system's print dialog opened on the window. A PDF's pages are drawn by
// pdf.js and kept as images behind blob: URLs, an e-invoice is shown as its readable view, a
// photo or scan as itself, an e-mail as its text: nothing is written to a file. The view is
// kept until the next print job or a lock (the dialog prints it when the owner confirms).
import { tick } from 'svelte';
import { documentBytes, documentDetail, documentsPrint, documentText, type Detail } from './api';
import { loadPdf } from './pdf';

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

/** How a document prints, by what it is (as the detail screen previews it). */
export function printKind(detail: Detail): 'pdf' | 'invoice' | 'image' | 'text' {
  const media = detail.document.media_type;
  const format = detail.fields?.format;
  if (media === 'application/pdf') return 'pdf';
  if (format === 'message') return 'text';
  if (media.includes('xml') || format === 'ubl' || format === 'cii') return 'invoice';
  if (media === 'image/jpeg' || media === 'image/png') return 'image';
  return 'text';
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

async function layOut(id: string): Promise<PrintItem> {
  const detail = await documentDetail(id);
  const name = detail.document.name;
  switch (printKind(detail)) {
    case 'pdf':
      return { id, name, kind: 'pages', pages: await pdfPages(toBytes(await documentBytes(id))) };
    case 'image': {
      const blob = new Blob([toBytes(await documentBytes(id)).slice()], { type: detail.document.media_type });
      return { id, name, kind: 'pages', pages: [URL.createObjectURL(blob)] };
    }
    case 'invoice':
      return { id, name, kind: 'invoice', fields: detail.fields };
    case 'text':
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

/** Lays out `ids` (in order) for printing and opens the print dialog: one job for all. */
export async function printDocuments(ids: string[]): Promise<void> {
  const items: PrintItem[] = [];
  try {
    for (const id of ids) items.push(await layOut(id));
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
