// State shared across screens: the app info, a counter bumped whenever documents change
// (imports, corrections...) so lists can refresh themselves, and the last backup status read.
import type { AppInfo, BackupStatus } from './api';

export const session = $state<{ info: AppInfo | null; docsVersion: number; backup: BackupStatus | null }>({
  info: null,
  docsVersion: 0,
  backup: null,
});

let pending: ReturnType<typeof setTimeout> | null = null;

/** Asks document lists to reload (coalesced over 300 ms so a burst of imports reloads once). */
export function documentsChanged(immediate = false): void {
  if (immediate) {
    if (pending) clearTimeout(pending);
    pending = null;
    session.docsVersion++;
    return;
  }
  if (pending) return;
  pending = setTimeout(() => {
    pending = null;
    session.docsVersion++;
  }, 300);
}

/** The last path component (either separator). */
export function baseName(path: string): string {
  const parts = path.split(/[\\/]/);
  return parts[parts.length - 1] || path;
}

/** A default path for a save dialog: the export folder joined with `name`. */
export function defaultSavePath(name: string): string | undefined {
  const info = session.info;
  if (!info?.default_export_dir) return name;
  const sep = info.path_separator || '/';
  const dir = info.default_export_dir.endsWith(sep) ? info.default_export_dir : info.default_export_dir + sep;
  return dir + name;
}
