// The one door from the UI to the Rust core. Screens import from here and never call `invoke`
// or `listen` themselves. Every command either resolves with its value or rejects with an
// `ApiError` ({code, message, ...}); screens switch on `code`, never on the message text.
import { invoke } from '@tauri-apps/api/core';
import { listen, type UnlistenFn } from '@tauri-apps/api/event';
import type { BackupFault } from './generated/BackupFault';
import type { Code } from './generated/Code';
import type { Kind } from './generated/Kind';
import type { Why } from './generated/Why';
import type { Settings as CoreSettings } from './generated/Settings';

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
  /** With `backup`: what is wrong with the backup folder. */
  fault?: BackupFault | null;
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

export interface Strength {
  /** zxcvbn score, 0 (guessable in seconds) to 4 (very strong). */
  score: 0 | 1 | 2 | 3 | 4;
  /** log10 of the estimated guesses. */
  guesses_log10: number;
  /** Strong enough: at least 8 characters and a score of at least 2. */
  acceptable: boolean;
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

export interface Document {
  id: string;
  name: string;
  size: number;
  media_type: string;
  kind: string;
  sha256: string;
  imported_at: string;
}

/** Filters of the documents table. Empty strings and nulls mean "any". */
export interface DocQuery {
  text: string;
  /** YYYY, YYYY-MM or YYYY-MM-DD */
  from?: string | null;
  to?: string | null;
  seller?: string | null;
  /** invoice-issued | invoice-received | credit-note | contract | other ... (retention categories) */
  category?: string | null;
  /** review | hold | restricted | due */
  status?: string | null;
}

export interface DocRow {
  id: string;
  name: string;
  size: number;
  imported_at: string;
  number: string | null;
  issue_date: string | null;
  seller: string | null;
  total_with_vat: string | null;
  currency: string | null;
  format: string | null;
  needs_review: boolean;
  category: string | null;
  retain_until: string | null;
  on_hold: boolean;
  restricted: boolean;
}

export interface Page {
  /** Rows matching the query (all of them, not just this page). */
  total: number;
  offset: number;
  rows: DocRow[];
}

export interface Totals {
  count: number;
  /** Sum of total_with_vat per currency, exact decimals as strings. */
  by_currency: { currency: string; amount: string; count: number }[];
}

// Totals count credit notes negatively (they cancel part of an invoice).
export const documentsPage = (query: DocQuery, offset: number, limit: number) =>
  call<Page>('documents_page', { query, offset, limit });
export const documentsTotals = (query: DocQuery) => call<Totals>('documents_totals', { query });
export const categories = () => call<string[]>('categories');

export interface Correction {
  field: string;
  old_value: string | null;
  new_value: string | null;
  at: string;
}

export interface RetentionRow {
  id: string;
  name: string;
  category: string;
  issue_date: string | null;
  retain_until: string;
  hold_reason: string | null;
  restricted_reason: string | null;
}

export interface AuditEntry {
  seq: number;
  at: string;
  action: string;
  doc_id: string | null;
  detail: Record<string, unknown>;
}

export interface Detail {
  document: Document;
  /** The extraction JSON of coffre-extract with corrections applied (see crates/extract). */
  fields: InvoiceFields;
  corrections: Correction[];
  retention: RetentionRow;
  audit: AuditEntry[];
}

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
  'total_without_vat',
  'total_vat',
  'total_with_vat',
  'amount_due',
  'iban',
] as const;
export type EditableField = (typeof EDITABLE_FIELDS)[number];

export interface Party {
  name?: string | null;
  vat_id?: string | null;
  /** SIREN/SIRET or other legal registration id (seller only). */
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
  needs_review?: boolean;
  issues?: string[];
  [key: string]: unknown;
}

export const documentDetail = (id: string) => call<Detail>('document_detail', { id });
/** The decrypted bytes, held in memory only (for pdf.js / the XML view). */
export const documentBytes = (id: string) => call<ArrayBuffer>('document_bytes', { id });
/** Sets (or clears, with null) a field; returns the updated detail. */
export const documentCorrect = (id: string, field: string, value: string | null) =>
  call<Detail>('document_correct', { id, field, value });
export const documentSetCategory = (id: string, category: string) =>
  call<Detail>('document_set_category', { id, category });
export const documentHold = (id: string, reason: string) =>
  call<Detail>('document_hold', { id, reason });
export const documentRelease = (id: string) => call<Detail>('document_release', { id });
export const documentRestrict = (id: string, reason: string) =>
  call<Detail>('document_restrict', { id, reason });
export const documentUnrestrict = (id: string) => call<Detail>('document_unrestrict', { id });
/** Writes the original file to `path` (chosen in a save dialog): a deliberate plaintext copy. */
export const documentSaveAs = (id: string, path: string) =>
  call<void>('document_save_as', { id, path });

// ---------------------------------------------------------------- import

export interface Counts {
  queued: number;
  stored: number;
  duplicate: number;
  failed: number;
  bytes: number;
}

/** One event of the ingest queue, in order per job: queued, extracting, then stored|duplicate|failed. */
export type IngestEvent =
  | { event: 'queued'; job: number; path: string; counts: Counts }
  | { event: 'extracting'; job: number; path: string }
  | { event: 'stored'; job: number; path: string; id: string; bytes: number; counts: Counts }
  | { event: 'duplicate'; job: number; path: string; id: string; counts: Counts }
  | { event: 'failed'; job: number; path: string; reason: string; counts: Counts };

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
  after: 'keep' | 'move' | 'delete';
  recursive: boolean;
  health: WatchHealth;
  imported: number;
  duplicates: number;
  /** Files set aside in the folder's Failed/ sub-folder, with the reason written beside them. */
  failed: { name: string; reason: string }[];
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

// ---------------------------------------------------------------- sharing

export interface Consent {
  id: number;
  party: string;
  purpose: string;
  from: string | null;
  to: string | null;
  categories: string[];
  evidence: string | null;
  granted_at: string;
  withdrawn_at: string | null;
  withdrawal_note: string | null;
  active: boolean;
}

export interface ConsentEntry {
  seq: number;
  kind: 'grant' | 'withdraw';
  consent_id: number;
  at: string;
  party: string | null;
  purpose: string | null;
  [key: string]: unknown;
}

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
}

export interface BundlePreview {
  period_from: string;
  period_to: string;
  /** The active consent that covers this request, or null (then `bundleCreate` refuses). */
  consent: Consent | null;
  documents: number;
  restricted_skipped: number;
  unchanged_skipped: number;
  by_currency: { currency: string; amount: string; count: number }[];
  /** The first documents, for a look before sending (at most 200). */
  rows: DocRow[];
}

export interface BundleSummary {
  bundle_id: string;
  out: string;
  period_from: string;
  period_to: string;
  consent_id: number;
  documents: number;
  document_ids: string[];
  restricted_skipped: number;
  unchanged_skipped: number;
  bytes: number;
  digest: string;
  key_fingerprint: string;
}

export interface BundleProgress {
  done: number;
  total: number;
  bytes: number;
  file: string | null;
}

export interface BundleVerifyReport {
  ok: boolean;
  bundle_id: string | null;
  recipient: string | null;
  period: string | null;
  created_at: string | null;
  key_fingerprint: string | null;
  signature_valid: boolean;
  /** Signed by the expected key (in the app: the unlocked vault's own). */
  signer_known: boolean;
  files_ok: number;
  problems: { kind: string; path: string | null; detail: string }[];
}

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

export interface RetentionStatus {
  today: string;
  policy: { jurisdiction: string; fiscal_year_end: [number, number]; custom_years: [string, number][] };
  due: RetentionRow[];
  on_hold: RetentionRow[];
  restricted: RetentionRow[];
  by_year: Record<string, number>;
  disposed: number;
}

export interface Disposal {
  id: string;
  name: string;
  disposed: boolean;
  reason: string;
}

export interface Tombstone {
  id: string;
  category: string;
  issue_date: string | null;
  imported_at: string;
  retain_until: string;
  /** MAC of the content that was destroyed (proves which document it was, reveals nothing). */
  content_mac: string;
  reason: string;
  /** Disposed of before the end of its retention, with an explicit reason. */
  overridden: boolean;
  disposed_by: string;
  disposed_at: string;
}

export const retentionStatus = () => call<RetentionStatus>('retention_status');
export const tombstones = () => call<Tombstone[]>('tombstones');
/**
 * Crypto-shreds documents whose retention has ended. `early_reason`, when given, allows disposing
 * of documents still under retention (never under hold) and is recorded.
 */
export const dispose = (ids: string[], early_reason: string | null) =>
  call<Disposal[]>('dispose', { ids, earlyReason: early_reason });

export type RequestKind =
  | 'access'
  | 'rectification'
  | 'erasure'
  | 'restriction'
  | 'portability'
  | 'objection';

export interface GdprRequest {
  id: number;
  subject: string;
  email: string | null;
  vat_id: string | null;
  siren: string | null;
  kind: RequestKind;
  received: string;
  due_initial: string;
  due_extended: string | null;
  due: string;
  extension_reason: string | null;
  extended_at: string | null;
  status: 'open' | 'closed';
  outcome: string | null;
  closed_at: string | null;
  created_at: string;
  overdue: boolean;
}

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

export interface ChainReport {
  entries: number;
  stubs: number;
  checkpoints: number;
  faults: string[];
}

/** Newest first; `before` pages backwards by sequence number. */
export const auditEntries = (before: number | null, limit: number) =>
  call<AuditEntry[]>('audit_entries', { before, limit });
export const auditVerify = () => call<ChainReport>('audit_verify');

/** Encrypted files of the vault folder that no document names, kept aside. */
export interface QuarantineReport {
  blobs: string[];
  /** Those whose document exists again (its index was put back). */
  reattachable: string[];
}

export const quarantineGet = () => call<QuarantineReport>('quarantine_get');
export const quarantineReattach = () => call<string[]>('quarantine_reattach');
export const quarantinePurge = () => call<string[]>('quarantine_purge');

// ---------------------------------------------------------------- settings and backups

export interface BackupStatus {
  folder: string | null;
  last_at: string | null;
  warn_after_days: number;
  overdue: boolean;
}

export interface BackupSummary {
  generation: string;
  documents: number;
  blobs_copied: number;
  bytes_copied: number;
  generations_removed: string[];
  blobs_removed: number;
  disposed_removed: number;
}

/** Every setting (generated from the core's `Settings`) and the backup situation. */
export type Settings = CoreSettings & { backup: BackupStatus };

/** The settings, named as the CLI's `coffre config` names them. */
export type SettingKey =
  | 'max-import-size'
  | 'audit-access-months'
  | 'auto-lock-minutes'
  | 'backup-warn-days'
  | 'jurisdiction'
  | 'fiscal-year-end'
  | 'owner-ids'
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
