// The invoice vocabulary the core sends as stable names (directions, lifecycle statuses, missing
// mentions, payment filters, bundle presets), and the small conversions the screens need.
import type { Direction } from './generated/Direction';
import type { Preset } from './generated/Preset';
import type { VatLine } from './generated/VatLine';

export const DIRECTIONS: readonly Direction[] = ['purchase', 'sale', 'unknown'];

/** The documents table's payment filters (`BrowseQuery.payment`). */
export const PAYMENT_FILTERS = ['unpaid', 'due-week', 'overdue', 'refused'] as const;

/** The statuses the owner can set by hand, in the reform's code order (200 to 214). */
export const STATUS_NAMES = [
  'deposited',
  'issued',
  'received',
  'made-available',
  'taken-over',
  'approved',
  'partly-approved',
  'disputed',
  'suspended',
  'completed',
  'refused',
  'payment-sent',
  'paid',
  'rejected',
  'endorsed',
] as const;

/** Every status name the core may send: those above, and `other` for a code outside the table. */
export const KNOWN_STATUSES = [...STATUS_NAMES, 'other'] as const;

/** Where a status came from (`StatusEntry.source`). */
export const STATUS_SOURCES = ['platform', 'owner'] as const;

/** The mandatory mentions the core checks (`Mention.mention`). */
export const MENTION_KEYS = [
  'number',
  'issue_date',
  'seller_name',
  'seller_siren',
  'seller_vat_id',
  'buyer_name',
  'totals',
  'vat_breakdown',
  'due_date',
  'buyer_siren',
  'operation_category',
  'vat_on_debits',
  'delivery_address',
] as const;

/** `missing` (the invoice does not state it) or `check` (it may be required). */
export const MENTION_SEVERITIES = ['missing', 'check'] as const;

export const PRESETS: readonly Preset[] = ['generic', 'ecritures'];

/** The badge class of a status: settled in green, refused in red, held up in amber. */
export function statusTone(status: string): '' | 'ok' | 'warn' | 'danger' {
  switch (status) {
    case 'paid':
    case 'payment-sent':
    case 'completed':
    case 'approved':
    case 'endorsed':
      return 'ok';
    case 'refused':
    case 'rejected':
      return 'danger';
    case 'disputed':
    case 'suspended':
    case 'partly-approved':
      return 'warn';
    default:
      return '';
  }
}

/**
 * The VAT lines in the text form `document_correct` takes for `vat_breakdown`
 * (`RATE:BASE:TAX[:CATEGORY]` entries joined by `; `), so an edit starts from what is shown.
 */
export function vatText(lines: readonly VatLine[]): string {
  return lines
    .map((l) => {
      const parts = [l.rate.trim(), l.taxable_amount.trim(), l.tax_amount.trim()];
      if (l.category) parts.push(l.category.trim());
      return parts.join(':');
    })
    .join('; ');
}

/** Today as `YYYY-MM-DD` in local time (the default date of a status set by hand). */
export function todayYmd(now: Date = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${now.getFullYear()}-${p(now.getMonth() + 1)}-${p(now.getDate())}`;
}

/** A trimmed text, or null when empty (optional command arguments). */
export function orNull(s: string): string | null {
  const v = s.trim();
  return v === '' ? null : v;
}

/** `ids` with `id` added when absent, removed when present (the table's check boxes). */
export function toggleId(ids: readonly string[], id: string): string[] {
  return ids.includes(id) ? ids.filter((x) => x !== id) : [...ids, id];
}
