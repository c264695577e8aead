// The import batch shown in the progress panel, fed by the core's `ingest` events.
import { onIngest, type IngestEvent } from './api';
import { baseName, documentsChanged } from './session.svelte';

export type FileState = 'queued' | 'reading' | 'stored' | 'duplicate' | 'failed';

export interface FileRow {
  job: number;
  path: string;
  name: string;
  state: FileState;
  reason: string | null;
  id: string | null;
  /** While OCR reads a scan: the page it reads, of how many. */
  ocr: { page: number; pages: number } | null;
  /** For an e-mail stored: its attachments kept (stored or linked) and left out by the rules. */
  parts: { kept: number; skipped: number } | null;
}

export const importer = $state<{ rows: FileRow[]; open: boolean }>({ rows: [], open: false });

const byJob = new Map<number, number>();
/** Every job an event was seen for, kept across closes: a late `noteQueued` must not reopen
 * the panel for a batch that already finished (events can beat the command's reply). */
const seen = new Set<number>();

export function isFinished(s: FileState): boolean {
  return s === 'stored' || s === 'duplicate' || s === 'failed';
}

/** Clears the batch and hides the panel. */
export function closeImport(): void {
  importer.rows = [];
  importer.open = false;
  byJob.clear();
}

function row(e: IngestEvent): FileRow {
  let i = byJob.get(e.job);
  if (i === undefined) {
    importer.rows.push({ job: e.job, path: e.path, name: baseName(e.path), state: 'queued', reason: null, id: null, ocr: null, parts: null });
    i = importer.rows.length - 1;
    byJob.set(e.job, i);
  }
  return importer.rows[i];
}

export function handleIngest(e: IngestEvent): void {
  seen.add(e.job);
  importer.open = true;
  const r = row(e);
  switch (e.event) {
    case 'queued':
      break;
    case 'extracting':
      r.state = 'reading';
      break;
    case 'reading':
      r.state = 'reading';
      r.ocr = { page: e.page, pages: e.pages };
      break;
    case 'stored':
      r.state = 'stored';
      r.ocr = null;
      r.id = e.id;
      if (e.parts.length > 0) {
        const skipped = e.parts.filter((p) => p.status === 'skipped').length;
        r.parts = { kept: e.parts.length - skipped, skipped };
      }
      documentsChanged();
      break;
    case 'duplicate':
      r.state = 'duplicate';
      r.id = e.id;
      break;
    case 'failed':
      r.state = 'failed';
      r.reason = e.reason;
      break;
  }
}

/** Registers for the files the caller just queued, so they show up even before their first event. */
export function noteQueued(paths: string[], jobs: number[]): void {
  if (jobs.every((j) => seen.has(j))) return;
  importer.open = true;
  jobs.forEach((job, k) => {
    if (!byJob.has(job) && !seen.has(job) && paths.length === jobs.length) {
      row({ event: 'queued', job, path: paths[k], counts: { queued: 0, stored: 0, duplicate: 0, failed: 0, bytes: 0 } });
    }
  });
}

export function startImportListener() {
  return onIngest(handleIngest);
}
