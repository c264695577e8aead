// The "Import files…" dialog, shared by the documents screen and the tray menu's entry.
import { open as openDialog } from '@tauri-apps/plugin-dialog';
import { importPaths } from './api';
import { t } from './i18n.svelte';
import { noteQueued } from './importer.svelte';

export const IMPORT_EXTENSIONS = ['pdf', 'xml', 'png', 'jpg', 'jpeg', 'tif', 'tiff'];

let picking = false;

/**
 * Asks for files and queues them for import (progress shows in the import panel). Does nothing
 * while the dialog is already open; rejects as the commands do.
 */
export async function chooseAndImport(): Promise<void> {
  if (picking) return;
  picking = true;
  try {
    const picked = await openDialog({
      multiple: true,
      filters: [{ name: t('documents.import.filter'), extensions: IMPORT_EXTENSIONS }],
    });
    if (!picked) return;
    const paths = Array.isArray(picked) ? picked : [picked];
    if (paths.length === 0) return;
    const { jobs } = await importPaths(paths);
    noteQueued(paths, jobs);
  } finally {
    picking = false;
  }
}
