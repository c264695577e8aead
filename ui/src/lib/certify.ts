// The integrity certificate from the app: the owner chooses where to save it (a save dialog),
// the core checks the documents and the audit chain, then signs and writes it in the UI's
// language (see coffre_core::sharing::certificate).
import { save as saveDialog } from '@tauri-apps/plugin-dialog';
import { documentsCertify, type CertifySummary } from './api';
import { locale } from './i18n.svelte';
import { defaultSavePath } from './session.svelte';

/** A file name for a certificate made today, in the UI's language. */
export function certificateName(today = new Date()): string {
  const day = today.toISOString().slice(0, 10);
  return locale.current === 'fr' ? `certificat-integrite-${day}.pdf` : `integrity-certificate-${day}.pdf`;
}

/** Asks where to save, then writes the certificate of `ids` there; null when the owner cancelled. */
export async function certifyWithDialog(ids: string[]): Promise<CertifySummary | null> {
  const path = await saveDialog({
    defaultPath: defaultSavePath(certificateName()),
    filters: [{ name: 'PDF', extensions: ['pdf'] }],
  });
  if (!path) return null;
  return documentsCertify(ids, locale.current, path);
}
