// Presentation helpers for the audit log and other JSON details.

/** Actions with a translated name (`audit.action.<action>` in the audit messages). */
export const KNOWN_ACTIONS = [
  'vault.create',
  'vault.unlock',
  'vault.unlock_recovery',
  'vault.unlock_failed',
  'vault.verify',
  'vault.passphrase_change',
  'vault.export',
  'document.import',
  'document.read',
  'document.correct',
  'document.category',
  'document.reextract',
  'document.hold',
  'document.release',
  'document.restrict',
  'document.unrestrict',
  'document.dispose',
  'document.print',
  'document.certify',
  'invoice.status',
  'bundle.create',
  'backup.create',
  'backup.failed',
  'intake.inbox',
  'intake.key_restored',
  'consent.grant',
  'consent.withdraw',
  'request.new',
  'request.extend',
  'request.close',
  'settings.change',
  'mail.account.add',
  'mail.account.remove',
  'subject.export',
  'audit.prune',
  'vault.quarantine',
  'vault.reattach',
  'vault.quarantine_purge',
  'vault.open_refused',
  'vault.older_index_accepted',
  'vault.rekey',
  'pruned',
] as const;

export function isKnownAction(action: string): boolean {
  return (KNOWN_ACTIONS as readonly string[]).includes(action);
}

function show(v: unknown): string {
  if (v === null || v === undefined) return '—';
  if (typeof v === 'string') return v === '' ? '—' : v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return v.length === 0 ? '—' : v.map((x) => (typeof x === 'object' && x !== null ? JSON.stringify(x) : show(x))).join(', ');
  return JSON.stringify(v);
}

/**
 * A JSON detail object as a flat list of `[key, value]` strings: nested objects become dotted
 * keys (one level deep per step, up to `depth`), arrays comma-joined, null/empty as `—`.
 */
export function detailPairs(detail: unknown, depth = 2, prefix = ''): [string, string][] {
  if (detail === null || typeof detail !== 'object' || Array.isArray(detail)) {
    return prefix ? [[prefix, show(detail)]] : detail === null || detail === undefined ? [] : [['', show(detail)]];
  }
  const out: [string, string][] = [];
  for (const [k, v] of Object.entries(detail as Record<string, unknown>)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (v !== null && typeof v === 'object' && !Array.isArray(v) && depth > 1) {
      const inner = detailPairs(v, depth - 1, key);
      if (inner.length === 0) out.push([key, '—']);
      else out.push(...inner);
    } else {
      out.push([key, show(v)]);
    }
  }
  return out;
}

/** The smallest sequence number of a page of entries (for "load older"), or null when empty. */
export function oldestSeq(entries: { seq: number }[]): number | null {
  return entries.length === 0 ? null : Math.min(...entries.map((e) => e.seq));
}

/** Appends a page to a list, dropping entries already present (by seq), newest first. */
export function mergePages<T extends { seq: number }>(list: T[], page: T[]): T[] {
  const seen = new Set(list.map((e) => e.seq));
  return [...list, ...page.filter((e) => !seen.has(e.seq))].sort((a, b) => b.seq - a.seq);
}
