// The one door from the UI to the Rust core. Screens import from here and never call `invoke`
// or `listen` themselves. Every command either resolves with its value or rejects with an
// `ApiError` ({code, message, ...}); screens switch on `code`, never on the message text.
import { invoke } from '@tauri-apps/api/core';
import { listen, type UnlistenFn } from '@tauri-apps/api/event';
import type { AfterImport } from './generated/AfterImport';
import type { AuditEntry } from './generated/AuditEntry';
import type { BackupFault } from './generated/BackupFault';
import type { BackupStatus } from './generated/BackupStatus';
import type { BackupSummary } from './generated/BackupSummary';
import type { BrowseQuery as DocQuery } from './generated/BrowseQuery';
import type { BundlePreview as CoreBundlePreview } from './generated/BundlePreview';
import type { BundleProgress } from './generated/BundleProgress';
import type { BundleSummary } from './generated/BundleSummary';
import type { CertifySummary } from './generated/CertifySummary';
import type { ChainReport } from './generated/ChainReport';
import type { Code } from './generated/Code';
import type { Consent } from './generated/Consent';
import type { ConsentEntry } from './generated/ConsentEntry';
import type { Correction } from './generated/Correction';
import type { CopyRef } from './generated/CopyRef';
import type { Counts } from './generated/Counts';
import type { Disposal } from './generated/Disposal';
import type { Document } from './generated/Document';
import type { Direction } from './generated/Direction';
import type { DocumentDetails } from './generated/DocumentDetails';
import type { FailedFile } from './generated/FailedFile';
import type { FetchStatus } from './generated/FetchStatus';
import type { FetchSummary } from './generated/FetchSummary';
import type { IngestEvent } from './generated/IngestEvent';
import type { InvoiceInfo } from './generated/InvoiceInfo';
import type { Kind } from './generated/Kind';
import type { Lang } from './generated/Lang';
import type { MailAccount } from './generated/MailAccount';
import type { MailFault } from './generated/MailFault';
import type { Mention } from './generated/Mention';
import type { Page } from './generated/Page';
import type { Preset } from './generated/Preset';
import type { QuarantineReport } from './generated/QuarantineReport';
import type { Request as GdprRequest } from './generated/Request';
import type { RequestType as RequestKind } from './generated/RequestType';
import type { RetentionRow } from './generated/RetentionRow';
import type { RetentionStatus } from './generated/RetentionStatus';
import type { Row as DocRow } from './generated/Row';
import type { Security } from './generated/Security';
import type { StatusEntry } from './generated/StatusEntry';
import type { Settings as CoreSettings } from './generated/Settings';
import type { Strength } from './generated/Strength';
import type { SupplierLayout } from './generated/SupplierLayout';
import type { Tombstone } from './generated/Tombstone';
import type { Totals } from './generated/Totals';
import type { VatLine } from './generated/VatLine';
import type { VerifyBundleReport as BundleVerifyReport } from './generated/VerifyBundleReport';
import type { Why } from './generated/Why';

// The core's types, generated from the Rust ones (`cargo xtask bindings`), under the names the
// screens use.
export type {
  AuditEntry,
  BackupStatus,
  BackupSummary,
  BundleProgress,
  BundleSummary,
  BundleVerifyReport,
  CertifySummary,
  ChainReport,
  Consent,
  ConsentEntry,
  CopyRef,
  Correction,
  Counts,
  Direction,
  Disposal,
  DocQuery,
  DocRow,
  Document,
  FetchStatus,
  FetchSummary,
  GdprRequest,
  IngestEvent,
  InvoiceInfo,
  MailAccount,
  Mention,
  Page,
  Preset,
  QuarantineReport,
  RequestKind,
  RetentionRow,
  RetentionStatus,
  Security,
  StatusEntry,
  Strength,
  SupplierLayout,
  Tombstone,
  Totals,
  VatLine,
};

/** What every failed command rejects with. */
export interface ApiError {
  /** The reason code (generated from the core's `Code`). */
  code: Code;
  /** The core's explanation in English, for logs; never shown (see `errorText.ts`). */
  message: string;
  /** With `invalid`: the refused argument, setting or field. */
  field?: string | null;
  /** With `invalid`: why, with the facts a message needs. */
  why?: Why | null;
  /** With `not_found`: what kind of record. */
  kind?: Kind | null;
  /** With `backup`: what is wrong with the backup folder; with `mail`: what is wrong with the server. */
  fault?: BackupFault | MailFault | null;
}

export function isApiError(e: unknown): e is ApiError {
  return typeof e === 'object' && e !== null && 'code' in e && 'message' in e;
}

async function call<T>(cmd: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(cmd, args);
  } catch (e) {
    if (isApiError(e)) throw e;
    throw { code: 'internal', message: String(e) } satisfies ApiError;
  }
}

// ---------------------------------------------------------------- app and vault

export interface AppInfo {
  version: string;
  vault_dir: string;
  vault_exists: boolean;
  unlocked: boolean;
  /** A throw-away vault filled with generated sample invoices (`--demo`). */
  demo: boolean;
  /** The demo vault's passphrase, shown on the unlock screen in demo mode only. */
  demo_passphrase: string | null;
  /** Where bundles and exports go by default (the user's Documents folder, or home). */
  default_export_dir: string;
  /** The OS path separator, for building default file paths. */
  path_separator: string;
}

export const appInfo = () => call<AppInfo>('app_info');
export const passphraseStrength = (passphrase: string) =>
  call<Strength>('passphrase_strength', { passphrase });
/** Creates the vault and leaves it unlocked; the recovery key is shown once. */
export const vaultCreate = (passphrase: string) =>
  call<{ recovery_key: string }>('vault_create', { passphrase });
export const vaultUnlock = (passphrase: string) => call<void>('vault_unlock', { passphrase });
/** Opens with the recovery key and sets a new passphrase. */
export const vaultRecover = (recoveryKey: string, newPassphrase: string) =>
  call<void>('vault_recover', { recoveryKey, newPassphrase });
export const vaultLock = () => call<void>('vault_lock');
export const changePassphrase = (current: string, next: string) =>
  call<void>('change_passphrase', { current, next });
/** Rotates the master key; resolves with the new recovery key, to show once. */
export const vaultRekey = (current: string, next: string) =>
  call<{ recovery_key: string }>('vault_rekey', { current, next });

// ---------------------------------------------------------------- documents

// Totals count credit notes negatively (they cancel part of an invoice).
export const documentsPage = (query: DocQuery, offset: number, limit: number) =>
  call<Page>('documents_page', { query, offset, limit });
export const documentsTotals = (query: DocQuery) => call<Totals>('documents_totals', { query });
export const categories = () => call<string[]>('categories');

/**
 * One document's detail (the app's `Detail`): the core's `DocumentDetails` with the invoice
 * fields typed, its retention and its audit entries.
 */
export type Detail = Omit<DocumentDetails, 'fields'> & {
  /** The extraction JSON of coffre-extract with corrections applied (see crates/extract). */
  fields: InvoiceFields;
  retention: RetentionRow;
  audit: AuditEntry[];
};

/** The editable fields, by the path `documentCorrect` takes. */
export const EDITABLE_FIELDS = [
  'number',
  'issue_date',
  'due_date',
  'type_code',
  'currency',
  'seller.name',
  'seller.vat_id',
  'seller.legal_id',
  'buyer.name',
  'buyer.vat_id',
  'buyer.legal_id',
  'total_without_vat',
  'total_vat',
  'total_with_vat',
  'amount_due',
  'iban',
  'vat_breakdown',
] as const;
export type EditableField = (typeof EDITABLE_FIELDS)[number];

export interface Party {
  name?: string | null;
  vat_id?: string | null;
  /** SIREN/SIRET or other legal registration id. */
  legal_id?: string | null;
}

/** How a field was obtained: `structured` XML (exact) or `text` heuristics, with a confidence. */
export interface FieldInfo {
  source: string;
  confidence: number;
}

export interface InvoiceFields {
  format?: string;
  profile?: string | null;
  type_code?: string | null;
  number?: string | null;
  issue_date?: string | null;
  due_date?: string | null;
  currency?: string | null;
  seller?: Party | null;
  buyer?: Party | null;
  total_without_vat?: string | null;
  total_vat?: string | null;
  total_with_vat?: string | null;
  amount_due?: string | null;
  iban?: string | null;
  /** Per field path (`number`, `seller.name`...): where the value came from. */
  fields?: Record<string, FieldInfo>;
  vat_breakdown?: {
    category?: string | null;
    rate?: string | null;
    taxable_amount?: string | null;
    tax_amount?: string | null;
  }[];
  lines?: {
    id?: string | null;
    name?: string | null;
    quantity?: string | null;
    unit_code?: string | null;
    net_amount?: string | null;
    vat_rate?: string | null;
  }[];
  media_type?: string;
  /** What OCR did, for a scan or photo read by OCR. */
  ocr?: OcrRun | null;
  /** An e-mail message's envelope (coffre-extract's `MessageInfo`). */
  message?: MessageInfo | null;
  needs_review?: boolean;
  issues?: string[];
  [key: string]: unknown;
}

/** An e-mail message's envelope, as it says it. */
export interface MessageInfo {
  message_id: string | null;
  from: string | null;
  to: string[];
  cc: string[];
  /** RFC 3339. */
  date: string | null;
  subject: string | null;
  attachments: { name: string; media_type: string; size: number; inline: boolean }[];
}

/** What OCR did on a document (coffre-extract's `OcrRun`). */
export interface OcrRun {
  /** `tesseract 5.3.0`. */
  engine: string;
  /** `fra+eng+deu`. */
  languages: string;
  pages_total: number;
  /** 0 to 1. */
  mean_confidence: number;
  pages: { page: number; rotation: number; skew: number; dpi: number; confidence: number; words: number }[];
}

export const documentDetail = (id: string) => call<Detail>('document_detail', { id });
/** The text read from a document (text layer or OCR), or null; the read is audited. */
export const documentText = (id: string) => call<string | null>('document_text', { id });
/** The decrypted bytes, held in memory only (for pdf.js / the XML view). */
export const documentBytes = (id: string) => call<ArrayBuffer>('document_bytes', { id });
/**
 * Sets (or clears, with null) a field; returns the updated detail. `vat_breakdown` takes the text
 * form `RATE:BASE:TAX[:CATEGORY]; ...` (`20:100.00:20.00; 5.5:50.00:2.75`) and replaces the
 * whole breakdown.
 */
export const documentCorrect = (id: string, field: string, value: string | null) =>
  call<Detail>('document_correct', { id, field, value });
/**
 * Sets the documents' direction (the owner's decision); `unknown` hands it back to the automatic
 * rule (the owner's identifiers and names). Resolves with how many changed.
 */
export const documentsSetDirection = (ids: string[], direction: Direction) =>
  call<number>('documents_set_direction', { ids, direction });
/**
 * Records a lifecycle status set by hand (`paid`...) on the invoice (its original for a copy),
 * reached on `at` (YYYY-MM-DD; today when null), with an optional note; returns the detail.
 */
export const documentSetStatus = (id: string, status: string, at: string | null, note: string | null) =>
  call<Detail>('document_set_status', { id, status, at, note });
export const documentSetCategory = (id: string, category: string) =>
  call<Detail>('document_set_category', { id, category });
export const documentHold = (id: string, reason: string) =>
  call<Detail>('document_hold', { id, reason });
export const documentRelease = (id: string) => call<Detail>('document_release', { id });
export const documentRestrict = (id: string, reason: string) =>
  call<Detail>('document_restrict', { id, reason });
export const documentUnrestrict = (id: string) => call<Detail>('document_unrestrict', { id });
/** What supplier memory learned from corrections, newest first. */
export const supplierMemory = () => call<SupplierLayout[]>('supplier_memory');
/** Forgets one remembered layout; returns what is left. */
export const supplierMemoryForget = (id: number) =>
  call<SupplierLayout[]>('supplier_memory_forget', { id });
/** Writes the original file to `path` (chosen in a save dialog): a deliberate plaintext copy. */
export const documentSaveAs = (id: string, path: string) =>
  call<void>('document_save_as', { id, path });
/** Records `document.print` for `ids` and opens the OS print dialog on the print-only view. */
export const documentsPrint = (ids: string[]) => call<void>('documents_print', { ids });
/** Writes the signed integrity certificate of `ids` to `path`, in the UI's language. */
export const documentsCertify = (ids: string[], lang: Lang, path: string) =>
  call<CertifySummary>('documents_certify', { ids, lang, path });

// ---------------------------------------------------------------- import

/** Queues files (and the files of folders) for import; progress arrives as `ingest` events. */
export const importPaths = (paths: string[]) => call<{ jobs: number[] }>('import_paths', { paths });
export const onIngest = (f: (e: IngestEvent) => void): Promise<UnlistenFn> =>
  listen<IngestEvent>('ingest', (e) => f(e.payload));

export type WatchHealth =
  | { status: 'off' }
  | { status: 'watching' }
  | { status: 'folder_unavailable'; reason: string }
  | { status: 'error'; reason: string };

export interface WatchInfo {
  folder: string | null;
  after: AfterImport;
  recursive: boolean;
  health: WatchHealth;
  imported: number;
  duplicates: number;
  /** Files set aside in the folder's Failed/ sub-folder, with the reason written beside them. */
  failed: FailedFile[];
  /** Last events, newest first (at most 50). */
  recent: { at: string; kind: string; path: string; detail: string | null }[];
}

export const watchGet = () => call<WatchInfo>('watch_get');
/** Starts (or restarts) watching; remembered in the vault and resumed at the next unlock. */
export const watchSet = (folder: string, after: WatchInfo['after'], recursive: boolean) =>
  call<WatchInfo>('watch_set', { folder, after, recursive });
export const watchStop = () => call<WatchInfo>('watch_stop');
/** Sent with the whole new state whenever the watcher reports something. */
export const onWatch = (f: (w: WatchInfo) => void): Promise<UnlistenFn> =>
  listen<WatchInfo>('watch', (e) => f(e.payload));

// ---------------------------------------------------------------- mail accounts

/** A mail account as the Settings form sends it (`mail_add`); the password is never sent back. */
export interface MailAccountInput {
  name: string;
  host: string;
  /** Null: 993 with TLS, 143 otherwise. */
  port: number | null;
  security: Security;
  user: string;
  password: string;
  /** Null: INBOX. */
  folder: string | null;
  /** A certificate authority (PEM) trusted for this server instead of the system's. */
  ca_pem: string | null;
  /** `keep`, `seen` or `move:FOLDER`. */
  after: string;
}

/** What the folder holds, as a connection test sees it (coffre-mailbox's `FolderInfo`). */
export interface FolderInfo {
  messages: number;
  uidvalidity: number;
}

/** One message of a running fetch (manual or periodic). */
export interface MailEvent {
  account: string;
  uid: number;
  status: FetchStatus;
  done: number;
  total: number;
}

export const mailAccounts = () => call<MailAccount[]>('mail_accounts');
/** Tests the connection (server, login, folder), then stores the account with its password sealed. */
export const mailAdd = (account: MailAccountInput) => call<MailAccount>('mail_add', { account });
export const mailTest = (name: string) => call<FolderInfo>('mail_test', { name });
/** Fetches the account's new messages now; progress arrives as `mail` events, then `mail-fetched`. */
export const mailFetch = (name: string) => call<FetchSummary>('mail_fetch', { name });
/** Forgets the account, its password and its fetch record; documents stay. */
export const mailRemove = (name: string) => call<void>('mail_remove', { name });
export const onMail = (f: (e: MailEvent) => void): Promise<UnlistenFn> =>
  listen<MailEvent>('mail', (e) => f(e.payload));
/** Sent with the account's name when a fetch ends (manual or periodic, success or not). */
export const onMailFetched = (f: (account: string) => void): Promise<UnlistenFn> =>
  listen<string>('mail-fetched', (e) => f(e.payload));

// ---------------------------------------------------------------- sharing

export interface GrantInput {
  party: string;
  purpose: string;
  from: string | null;
  to: string | null;
  categories: string[];
  evidence: string | null;
}

export const consents = () => call<Consent[]>('consents');
export const consentHistory = () => call<ConsentEntry[]>('consent_history');
export const consentGrant = (grant: GrantInput) => call<Consent>('consent_grant', { grant });
export const consentWithdraw = (id: number, note: string | null) =>
  call<void>('consent_withdraw', { id, note });

export interface BundleInput {
  recipient: string;
  purpose: string | null;
  /** 2026-Q3, 2026-10, 2026 or 2026-01-01..2026-06-30 */
  period: string;
  categories: string[];
  since_last: boolean;
  decimal_comma: boolean;
  /** The generic index only, or `ecritures.csv` too (accounting lines with the FEC's columns). */
  preset: Preset;
}

/** What a bundle would hold, with its first documents for a look before sending (at most 200). */
export type BundlePreview = CoreBundlePreview & { rows: DocRow[] };

export const bundlePreview = (input: BundleInput) => call<BundlePreview>('bundle_preview', { input });
/** Writes the ZIP at `out` (from a save dialog); progress arrives as `bundle-progress` events. */
export const bundleCreate = (input: BundleInput, password: string | null, out: string) =>
  call<BundleSummary>('bundle_create', { input, password, out });
/** Checks the bundle against the unlocked vault's own signing key. */
export const bundleVerify = (path: string, password: string | null) =>
  call<BundleVerifyReport>('bundle_verify', { path, password });
/** Resolves when the core accepts the bundle password; rejects with `weak_password` otherwise. */
export const bundlePasswordCheck = (password: string) => call<void>('bundle_password_check', { password });
/** A strong bundle password from the core, to show once. */
export const bundleGeneratePassword = () => call<string>('bundle_generate_password');
export const onBundleProgress = (f: (p: BundleProgress) => void): Promise<UnlistenFn> =>
  listen<BundleProgress>('bundle-progress', (e) => f(e.payload));
/** Opens the system file manager on the folder holding `path`, with the file selected. */
export const revealInFolder = (path: string) => call<void>('reveal_in_folder', { path });

// ---------------------------------------------------------------- retention, privacy, audit

export const retentionStatus = () => call<RetentionStatus>('retention_status');
export const tombstones = () => call<Tombstone[]>('tombstones');
/**
 * Crypto-shreds documents whose retention has ended. `early_reason`, when given, allows disposing
 * of documents still under retention (never under hold) and is recorded.
 */
export const dispose = (ids: string[], early_reason: string | null) =>
  call<Disposal[]>('dispose', { ids, earlyReason: early_reason });

export interface NewRequestInput {
  subject: string;
  email: string | null;
  kind: RequestKind;
  /** YYYY-MM-DD; today when null */
  received: string | null;
}

export const requests = () => call<GdprRequest[]>('requests');
export const requestNew = (input: NewRequestInput) => call<GdprRequest>('request_new', { input });
export const requestExtend = (id: number, reason: string) =>
  call<GdprRequest>('request_extend', { id, reason });
export const requestClose = (id: number, outcome: string) =>
  call<GdprRequest>('request_close', { id, outcome });

/** Newest first; `before` pages backwards by sequence number. */
export const auditEntries = (before: number | null, limit: number) =>
  call<AuditEntry[]>('audit_entries', { before, limit });
export const auditVerify = () => call<ChainReport>('audit_verify');

export const quarantineGet = () => call<QuarantineReport>('quarantine_get');
export const quarantineReattach = () => call<string[]>('quarantine_reattach');
export const quarantinePurge = () => call<string[]>('quarantine_purge');

// ---------------------------------------------------------------- settings and backups

/** Every setting (generated from the core's `Settings`) and the backup situation. */
export type Settings = CoreSettings & { backup: BackupStatus };

/** The settings, named as the CLI's `coffre config` names them. */
export type SettingKey =
  | 'max-import-size'
  | 'audit-access-months'
  | 'auto-lock-minutes'
  | 'backup-warn-days'
  | 'backup-schedule'
  | 'jurisdiction'
  | 'fiscal-year-end'
  | 'owner-ids'
  | 'owner-names'
  | 'mail.keep-types'
  | 'mail.skip-names'
  | 'mail.inline-image-below'
  | 'mail.keep-without-attachments'
  | 'mail.fetch-every-minutes'
  | `retention.${string}`;

/**
 * Changes one setting from the user's text (`50MiB`, `06-30`, `germany`); the core checks it.
 * Returns all settings.
 */
export const settingsGet = () => call<Settings>('settings_get');
export const settingsSet = (key: SettingKey, value: string) =>
  call<Settings>('settings_set', { key, value });
/** Backs up to `folder` (remembered as the backup folder); incremental after the first run. */
export const backupNow = (folder: string) => call<BackupSummary>('backup_now', { folder });

/**
 * Tells the backend the owner is active (keyboard, pointer). The backend locks the vault by
 * itself after the auto-lock delay without activity or commands, then sends `locked`; call this
 * at most every 30 s.
 */
export const touch = () => call<void>('touch');

/** Sent when the backend locked the vault by itself (auto-lock after inactivity). */
export const onLocked = (f: () => void): Promise<UnlistenFn> => listen('locked', () => f());

/** What a scheduled backup did (sent as `backup-run` when one ran). */
export interface BackupRun {
  ok: boolean;
  /** The new backup's generation, when it worked. */
  generation: string | null;
  /** Why it failed (the core's text), when it did not. */
  error: string | null;
}

/** Sent when the backup schedule ran a backup (success or not). */
export const onBackupRun = (f: (run: BackupRun) => void): Promise<UnlistenFn> =>
  listen<BackupRun>('backup-run', (e) => f(e.payload));

// ---------------------------------------------------------------- the app: tray, prefs, updates

/** One file that arrived in the import folder while the vault was locked, as imported at unlock. */
export interface InboxFile {
  name: string | null;
  status: 'imported' | 'duplicate' | 'failed';
  id: string | null;
  reason: string | null;
}

/** The app's own preferences (kept outside the vault). */
export interface AppPrefs {
  /** Closing the window keeps Coffre running in the tray. */
  close_to_tray: boolean;
  /** Coffre starts (in the tray) when the owner logs in. */
  autostart: boolean;
}

/** An update found by a check. */
export interface UpdateInfo {
  /** The version offered. */
  version: string;
  /** The version running. */
  current: string;
  notes: string | null;
  /** When it was published, if said. */
  date: string | null;
}

/** Tells the backend the UI's language: the tray menu and OS notifications follow it. */
export const uiLocale = (lang: 'fr' | 'en') => call<void>('ui_locale', { lang });
export const appPrefsGet = () => call<AppPrefs>('app_prefs_get');
/** Changes the given preferences (the others stay); resolves with all of them. */
export const appPrefsSet = (prefs: { closeToTray?: boolean; autostart?: boolean }) =>
  call<AppPrefs>('app_prefs_set', prefs);
/** Looks for an update now; null when Coffre is up to date. */
export const updateCheck = () => call<UpdateInfo | null>('update_check');
/**
 * Installs the update the last check found, then restarts the app (the vault locks first).
 * Rejects with `busy` while an import, a mail fetch or a backup runs.
 */
export const updateInstall = () => call<void>('update_install');

/** Sent at unlock with the files sealed into the import folder's inbox while locked, now imported. */
export const onInboxImported = (f: (files: InboxFile[]) => void): Promise<UnlistenFn> =>
  listen<InboxFile[]>('inbox-imported', (e) => f(e.payload));
/** Sent when the tray menu's "Import files…" was clicked (the window is shown first). */
export const onTrayImport = (f: () => void): Promise<UnlistenFn> => listen('tray-import', () => f());
/** Sent when the daily check found an update; nothing is installed without the owner's click. */
export const onUpdateAvailable = (f: (u: UpdateInfo) => void): Promise<UnlistenFn> =>
  listen<UpdateInfo>('update-available', (e) => f(e.payload));
