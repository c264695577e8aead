// pdf.js, loaded on first use, set up for the app's CSP: worker from our own origin, no eval,
// data passed as bytes. The legacy build is used because the modern one relies on very recent
// built-ins (Map.prototype.getOrInsertComputed, Math.sumPrecise) that WebKitGTK may lack.
import workerUrl from 'pdfjs-dist/legacy/build/pdf.worker.min.mjs?url';
import type { PDFDocumentProxy } from 'pdfjs-dist';

export type PdfDoc = PDFDocumentProxy;

type PdfJs = typeof import('pdfjs-dist');
let lib: Promise<PdfJs> | null = null;

function pdfjs(): Promise<PdfJs> {
  if (!lib) {
    lib = (import('pdfjs-dist/legacy/build/pdf.mjs') as Promise<PdfJs>).then((m) => {
      m.GlobalWorkerOptions.workerSrc = workerUrl;
      return m;
    });
  }
  return lib;
}

/** Opens a PDF from memory. The bytes are copied (pdf.js transfers its buffer to the worker). */
export async function loadPdf(bytes: Uint8Array): Promise<PdfDoc> {
  const m = await pdfjs();
  return m.getDocument({
    data: bytes.slice(),
    isEvalSupported: false,
    useSystemFonts: true,
    disableAutoFetch: true,
    stopAtErrors: false,
  }).promise;
}
