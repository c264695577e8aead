// The mail accounts card's pure logic: the add form turned into what `mail_add` takes, an
// account's after-fetch action read back, and a last fetch said in words.
import type { MailAccountInput } from './api';
import { describeError } from './errorText';
import type { FetchSummary } from './generated/FetchSummary';
import type { Security } from './generated/Security';

export const SECURITIES = ['tls', 'starttls', 'none'] as const satisfies readonly Security[];

/** What is done to a message on the server once stored, as the form offers it. */
export const AFTER_KINDS = ['keep', 'seen', 'move'] as const;
export type AfterKind = (typeof AFTER_KINDS)[number];

/** `mail.fetch-every-minutes`: 0 (never) to a day. */
export const FETCH_EVERY_MAX = 1440;

/** The port used when none is given (the backend's default). */
export function defaultPort(security: Security): number {
  return security === 'tls' ? 993 : 143;
}

/** The add form, as typed. */
export interface MailForm {
  name: string;
  host: string;
  port: string;
  security: Security;
  user: string;
  password: string;
  folder: string;
  after: AfterKind;
  moveFolder: string;
  ca: string;
}

export function emptyMailForm(): MailForm {
  return {
    name: '',
    host: '',
    port: '',
    security: 'tls',
    user: '',
    password: '',
    folder: 'INBOX',
    after: 'keep',
    moveFolder: '',
    ca: '',
  };
}

/** `keep`, `seen` or `move:FOLDER`; null when moving to no folder. */
export function afterValue(after: AfterKind, moveFolder: string): string | null {
  if (after !== 'move') return after;
  const folder = moveFolder.trim();
  return folder ? `move:${folder}` : null;
}

/** An account's `after` read back: the kind, and the folder for `move:FOLDER`. */
export function parseAfter(after: string): { kind: AfterKind; folder: string } {
  if (after.startsWith('move:')) return { kind: 'move', folder: after.slice('move:'.length) };
  return { kind: after === 'seen' ? 'seen' : 'keep', folder: '' };
}

/** The port typed, null when empty (the default applies), undefined when not a port. */
export function parsePort(port: string): number | null | undefined {
  const p = port.trim();
  if (!p) return null;
  if (!/^\d+$/.test(p)) return undefined;
  const n = Number(p);
  return n >= 1 && n <= 65535 ? n : undefined;
}

/**
 * What `mail_add` takes, or null while a required field is empty, the port is not a port or
 * the folder to move to is missing. The backend checks everything again.
 */
export function mailInput(f: MailForm): MailAccountInput | null {
  const port = parsePort(f.port);
  const after = afterValue(f.after, f.moveFolder);
  const name = f.name.trim();
  const host = f.host.trim();
  const user = f.user.trim();
  if (!name || !host || !user || !f.password || port === undefined || after === null) return null;
  const folder = f.folder.trim();
  const ca = f.ca.trim();
  return {
    name,
    host,
    port,
    security: f.security,
    user,
    password: f.password,
    folder: folder || null,
    ca_pem: ca || null,
    after,
  };
}

type Params = Record<string, string | number>;
type Translate = (key: string, params?: Params) => string;

/**
 * How the last fetch went: its counts (`settings.imap.last.counts`), or the error that stopped
 * it (translated from its reason code), after the counts when some messages got through.
 */
export function lastFetchText(
  s: FetchSummary | null,
  t: Translate,
  hasKey: (key: string) => boolean,
): string {
  if (!s) return t('settings.imap.last.never');
  const counts = t('settings.imap.last.counts', {
    imported: s.imported,
    duplicate: s.duplicate,
    skipped: s.skipped,
    failed: s.failed,
  });
  if (!s.error_code) return counts;
  const error = describeError(
    { code: s.error_code, message: s.error ?? '', fault: s.error_fault ?? undefined },
    t,
    hasKey,
  );
  const any = s.imported + s.duplicate + s.skipped + s.failed > 0;
  return any ? `${counts}. ${error}` : error;
}
