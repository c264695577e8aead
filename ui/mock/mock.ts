// Development only: runs the UI in a plain browser against a fake backend
// (`npm run dev`, then open http://localhost:5173/mock/index.html?state=locked|new|open&n=100000,
// optionally &pdf=/mock/some.pdf to preview a PDF put in ui/mock/; the mock passphrase is "demo").
// Never part of the production build (vite builds ui/index.html only).
import { mockIPC, mockWindows } from '@tauri-apps/api/mocks';
import { emit } from '@tauri-apps/api/event';

const params = new URLSearchParams(location.search);
const state = params.get('state') ?? 'open';
const N = Number(params.get('n') ?? 100000);
let unlocked = state === 'open';
let exists = state !== 'new';
let appPrefs = { close_to_tray: true, autostart: false };

const sellers = ['ACME SARL', 'Boulangerie Martin', 'EDF', 'Orange SA', 'Papeterie du Centre', 'OVH', 'Garage Dupont'];
const cats = ['invoice-received', 'invoice-issued', 'credit-note', 'contract', 'other'];
let memory = [
  { id: 2, supplier: 'Atelier Dupont SARL', ids: ['FR40303265045'], field: 'total_with_vat', label: 'votre reglement', placement: 'right', doc_id: 'doc1', learned_at: '2026-03-01T10:00:00Z' },
  { id: 1, supplier: 'Atelier Dupont SARL', ids: ['FR40303265045'], field: 'number', label: 'ecriture', placement: 'below:1', doc_id: 'doc1', learned_at: '2026-03-01T10:00:00Z' },
];
let mailAccounts = [
  {
    name: 'factures', host: 'imap.example.com', port: 993, security: 'tls', user: 'marie@example.com', folder: 'INBOX',
    ca_pem: null, after: 'move:Factures', created_at: '2026-03-01T10:00:00Z',
    last_fetch: { at: '2026-03-02T08:15:00Z', imported: 4, duplicate: 1, skipped: 2, failed: 0, error_code: null, error_fault: null, error: null },
  },
];
// Invoices for the accountant: doc0 is a purchase paid (with mentions missing), doc1 a sale
// overdue and unpaid with a copy (doc11), doc5 refused, doc12 with a platform code outside the
// table, doc21/doc26 the same invoice with two totals; the owner's choices below override.
type Dir = 'purchase' | 'sale' | 'unknown';
type StatusEntry = { status: string; code: string | null; at: string; source: string; reason: string | null; message: string | null };
const DAY = 86_400_000;
const today = new Date();
const ymd = (d: Date) => d.toISOString().slice(0, 10);
const STATUS_CODES: Record<string, string> = {
  deposited: '200', issued: '201', received: '202', 'made-available': '203', 'taken-over': '204', approved: '205',
  'partly-approved': '206', disputed: '207', suspended: '208', completed: '209', refused: '210', 'payment-sent': '211',
  paid: '212', rejected: '213', endorsed: '214',
};
const directionSet = new Map<string, Dir>();
const statusLog = new Map<string, StatusEntry[]>();
const corrections = new Map<string, { field: string; old_value: string | null; new_value: string | null; at: string }[]>();
const docAudit = new Map<string, { seq: number; at: string; action: string; doc_id: string; detail: Record<string, unknown> }[]>();
let auditSeq = 100;

function baseRow(i: number) {
  const d = new Date(Date.UTC(2026, 0, 1) - i * 3600_000 * 5);
  return {
    id: `doc${i}`,
    name: `facture-${i}.pdf`,
    size: 20000 + i,
    imported_at: d.toISOString(),
    number: i % 17 === 0 ? null : `F2026-${String(i).padStart(5, '0')}`,
    issue_date: d.toISOString().slice(0, 10),
    seller: sellers[i % sellers.length],
    total_with_vat: `${(i * 37) % 5000}.${String(i % 100).padStart(2, '0')}`,
    currency: i % 11 === 0 ? 'USD' : 'EUR',
    format: 'pdf-text',
    needs_review: i % 13 === 0,
    category: cats[i % cats.length],
    retain_until: '2036-12-31',
    on_hold: i % 29 === 0,
    restricted: i % 31 === 0,
  };
}
/** The original a document is a copy of (doc11 of doc1, doc61 of doc51...). */
const copyOrigin = (i: number) => (i % 50 === 11 ? i - 10 : null);
const copiesOf = (i: number) => (i % 50 === 1 && i + 10 < N ? [i + 10] : []);
/** The other document with the same number and seller but another total. */
const conflictWith = (i: number) => (i % 50 === 21 && i + 5 < N ? i + 5 : i % 50 === 26 ? i - 5 : null);
function autoDirection(i: number): Dir {
  const c = cats[i % cats.length];
  return c === 'invoice-issued' ? 'sale' : c === 'invoice-received' || c === 'credit-note' ? 'purchase' : 'unknown';
}
function statusesOf(i: number): StatusEntry[] {
  const at = (n: number) => ymd(new Date(today.getTime() - n * DAY));
  const platform = (status: string, n: number, reason: string | null = null): StatusEntry =>
    ({ status, code: STATUS_CODES[status] ?? null, at: at(n), source: 'platform', reason, message: null });
  const base: StatusEntry[] =
    i % 19 === 0 ? [platform('received', 20), { status: 'paid', code: '212', at: at(3), source: 'owner', reason: 'Virement', message: null }]
    : i % 37 === 5 ? [platform('received', 15), platform('refused', 9, 'Montant erroné : le bon de commande indique 1 200,00 €')]
    : i % 37 === 12 ? [platform('received', 8), { status: 'other', code: '299', at: at(2), source: 'platform', reason: null, message: null }]
    : [];
  return [...base, ...(statusLog.get(`doc${i}`) ?? [])];
}
function row(i: number) {
  const orig = copyOrigin(i);
  const twin = conflictWith(i);
  const r = baseRow(i);
  if (orig !== null) {
    const o = baseRow(orig);
    Object.assign(r, { number: o.number, seller: o.seller, total_with_vat: o.total_with_vat, currency: o.currency, issue_date: o.issue_date, category: o.category, format: 'factur-x' });
  } else if (twin !== null && i % 50 === 26) {
    const o = baseRow(twin);
    Object.assign(r, { number: o.number, seller: o.seller, currency: o.currency, category: o.category });
  }
  const statuses = statusesOf(orig ?? i);
  const invoice = r.category === 'invoice-received' || r.category === 'invoice-issued';
  return {
    ...r,
    direction: directionSet.get(r.id) ?? autoDirection(orig ?? i),
    due_date: invoice ? ymd(new Date(today.getTime() + ((i % 40) - 12) * DAY)) : null,
    status: statuses.length > 0 ? statuses[statuses.length - 1].status : null,
    copy_of: orig === null ? null : `doc${orig}`,
    copies: copiesOf(i).length,
    copy_conflict: twin !== null,
  };
}
type Query = { text: string; from?: string | null; to?: string | null; seller?: string | null; category?: string | null;
  status?: string | null; direction?: string | null; payment?: string | null; copies?: boolean };
function matches(q: Query, i: number) {
  const r = row(i);
  if (q.text && !`${r.number} ${r.seller} ${r.total_with_vat}`.toLowerCase().includes(q.text.toLowerCase())) return false;
  if (!q.copies && r.copy_of) return false;
  if (q.from && (r.issue_date ?? '') < q.from) return false;
  if (q.to && (r.issue_date ?? '').slice(0, q.to.length) > q.to) return false;
  if (q.seller && !(r.seller ?? '').toLowerCase().includes(q.seller.toLowerCase())) return false;
  if (q.category && r.category !== q.category) return false;
  if (q.direction && r.direction !== q.direction) return false;
  if (q.status === 'review' && !(r.needs_review || r.copy_conflict)) return false;
  if (q.status === 'hold' && !r.on_hold) return false;
  if (q.status === 'restricted' && !r.restricted) return false;
  if (q.status === 'due') return false;
  if (q.payment) {
    const unpaid = r.due_date !== null && r.direction !== 'unknown' && !['payment-sent', 'paid', 'refused', 'rejected'].includes(r.status ?? '');
    const t = ymd(today);
    const week = ymd(new Date(today.getTime() + 6 * DAY));
    if (q.payment === 'unpaid' && !unpaid) return false;
    if (q.payment === 'due-week' && !(unpaid && r.due_date! >= t && r.due_date! <= week)) return false;
    if (q.payment === 'overdue' && !(unpaid && r.due_date! < t)) return false;
    if (q.payment === 'refused' && !['refused', 'rejected'].includes(r.status ?? '')) return false;
  }
  return true;
}
const filterCache = new Map<string, number[]>();
function ids(q: Query): number[] {
  const k = JSON.stringify(q);
  if (!filterCache.has(k)) {
    const out: number[] = [];
    for (let i = 0; i < N; i++) if (matches(q, i)) out.push(i);
    filterCache.set(k, out);
  }
  return filterCache.get(k)!;
}

/** Sets `path` (`seller.name`) in a fields object. */
function setPath(obj: Record<string, any>, path: string, value: unknown) {
  const parts = path.split('.');
  let o = obj;
  for (const p of parts.slice(0, -1)) o = o[p] ??= {};
  o[parts[parts.length - 1]] = value;
}
function parseVat(text: string) {
  return text.split(';').map((e) => e.trim()).filter(Boolean).map((e) => {
    const [rate, taxable_amount, tax_amount, category] = e.split(':').map((x) => x.trim());
    if (tax_amount === undefined || [rate, taxable_amount, tax_amount].some((x) => !/^-?\d+([.,]\d+)?$/.test(x)))
      throw { code: 'invalid', field: 'vat_breakdown', why: { why: 'bad_format', value: e, format: 'RATE:BASE:TAX[:CATEGORY]; ...' }, message: 'bad format' };
    return { rate, taxable_amount, tax_amount, category: category || null };
  });
}
const docIndex = (id: unknown) => Number(String(id).slice(3));
function ref(i: number) {
  const r = row(i);
  return { id: r.id, name: r.name, format: r.format, total_with_vat: r.total_with_vat };
}
function detail(id: string) {
  const i = docIndex(id);
  const r = row(i);
  const fields: Record<string, any> = {
    format: i % 2 ? 'cii' : 'pdf-text', number: r.number, issue_date: r.issue_date, due_date: r.due_date, currency: r.currency, type_code: '380',
    seller: { name: r.seller, vat_id: 'FR12345678901', legal_id: i % 3 === 0 ? null : '123456789' }, buyer: { name: 'Marie Curie', vat_id: null, legal_id: null },
    total_without_vat: '1028.80', total_vat: '205.76', total_with_vat: '1234.56', amount_due: '1234.56', iban: 'FR7630006000011234567890189',
    fields: { number: { source: 'text', confidence: 0.8 }, total_with_vat: { source: 'xml', confidence: 1 } },
    lines: [{ id: '1', name: 'Consulting', quantity: '8', unit_code: 'HUR', net_amount: '1028.80', vat_rate: '20' }],
    vat_breakdown: [{ category: 'S', rate: '20', taxable_amount: '1028.80', tax_amount: '205.76' }],
    needs_review: r.needs_review, issues: ['total_mismatch'],
  };
  const mine = corrections.get(id) ?? [];
  for (const c of mine) {
    if (c.field === 'vat_breakdown') fields.vat_breakdown = c.new_value ? parseVat(c.new_value) : [];
    else if (c.field !== 'direction') setPath(fields, c.field, c.new_value);
  }
  const orig = copyOrigin(i);
  const twin = conflictWith(i);
  const statuses = statusesOf(orig ?? i);
  const purchase = r.direction !== 'sale' && r.category === 'invoice-received';
  return {
    document: { id: r.id, name: r.name, size: r.size, media_type: i % 2 ? 'application/xml' : 'application/pdf', kind: i % 2 ? 'xml' : 'pdf', sha256: 'ab', imported_at: r.imported_at, parent: null },
    fields,
    corrections: [{ field: 'seller.name', old_value: 'ACME', new_value: r.seller, at: '2026-03-01T10:00:00Z' }, ...mine],
    parts: [],
    messages: [],
    invoice: {
      direction: r.direction,
      direction_by_owner: directionSet.has(id),
      copy_of: orig === null ? null : ref(orig),
      copies: copiesOf(i).map(ref),
      conflicts: twin === null ? [] : [ref(twin)],
      status: r.status,
      statuses,
      vat: (fields.vat_breakdown as { rate: string | null; taxable_amount: string | null; tax_amount: string | null; category: string | null }[]).map((v) => ({
        rate: v.rate ?? '', taxable_amount: v.taxable_amount ?? '', tax_amount: v.tax_amount ?? '', category: v.category ?? null,
      })),
      mentions: purchase && i % 3 === 0 && orig === null
        ? [{ mention: 'seller_siren', severity: 'missing' }, { mention: 'due_date', severity: 'missing' }, { mention: 'operation_category', severity: 'check' }]
        : [],
    },
    retention: { id: r.id, name: r.name, category: r.category, issue_date: r.issue_date, retain_until: '2036-12-31', hold_reason: null, restricted_reason: null },
    audit: [
      { seq: 1, at: r.imported_at, action: 'document.import', doc_id: r.id, detail: {} },
      { seq: 2, at: '2026-03-01T10:00:00Z', action: 'document.correct', doc_id: r.id, detail: {} },
      ...(docAudit.get(id) ?? []),
    ],
  };
}
function audit(id: string, action: string, detail: Record<string, unknown>) {
  docAudit.set(id, [...(docAudit.get(id) ?? []), { seq: ++auditSeq, at: new Date().toISOString(), action, doc_id: id, detail }]);
}
const settings = {
  jurisdiction: 'france', fiscal_year_end: '12-31', auto_lock_minutes: 10, owner_ids: ['FR40303265045'], owner_names: ['Atelier Dupont SARL'],
  max_import_size: 100 * 1024 * 1024, audit_access_months: 12, backup_warn_days: 7, retention_years: [],
  mail_keep_types: ['pdf', 'xml', 'image'], mail_skip_names: ['CGV'], mail_inline_image_below: 20480,
  mail_keep_without_attachments: false, mail_fetch_every_minutes: 15, backup_schedule: 'daily 12:30',
  backup: { folder: null, last_at: null, warn_after_days: 7, overdue: false, schedule: 'daily 12:30', next_at: null, due: false, missed: false },
};
const list = (v: string) => v.split(',').map((x) => x.trim()).filter(Boolean);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

mockWindows('main');
mockIPC(
  async (cmd, args) => {
    const a = (args ?? {}) as Record<string, any>;
    switch (cmd) {
      case 'app_info':
        return {
          version: '0.1.0', vault_dir: '/home/marie/.local/share/coffre', vault_exists: exists, unlocked,
          demo: true, demo_passphrase: 'demo correct horse battery', default_export_dir: '/home/marie/Documents', path_separator: '/',
        };
      case 'passphrase_strength': {
        const s = Math.min(4, Math.floor(String(a.passphrase).length / 5));
        return { score: s, guesses_log10: s * 3, acceptable: s >= 2 };
      }
      case 'vault_create':
        await sleep(800);
        exists = unlocked = true;
        return { recovery_key: 'K7QX-3M9P-T2WZ-8RLD-4HNV-6BYC-J5FE-9GSA' };
      case 'vault_unlock':
        await sleep(500);
        if (a.passphrase !== 'demo') throw { code: 'wrong_passphrase', message: 'wrong passphrase' };
        unlocked = true;
        return null;
      case 'vault_lock':
        unlocked = false;
        return null;
      case 'settings_get':
        return settings;
      case 'settings_set':
        if (a.key === 'owner-ids') settings.owner_ids = list(a.value);
        else if (a.key === 'owner-names') settings.owner_names = list(a.value);
        else if (a.key === 'fiscal-year-end') settings.fiscal_year_end = a.value;
        filterCache.clear();
        return settings;
      case 'ui_locale':
        return null;
      case 'app_prefs_get':
        return appPrefs;
      case 'app_prefs_set':
        if (typeof a.closeToTray === 'boolean') appPrefs.close_to_tray = a.closeToTray;
        if (typeof a.autostart === 'boolean') appPrefs.autostart = a.autostart;
        return appPrefs;
      case 'update_check':
        return null;
      case 'update_install':
        return null;
      case 'supplier_memory':
        return memory;
      case 'supplier_memory_forget':
        memory = memory.filter((m) => m.id !== a.id);
        return memory;
      case 'mail_accounts':
        return mailAccounts;
      case 'mail_add': {
        await sleep(800);
        const n = a.account;
        if (n.password === 'wrong') throw { code: 'mail', fault: 'login', message: 'mail: LOGIN refused' };
        if (mailAccounts.some((m) => m.name === n.name))
          throw { code: 'invalid', field: 'name', why: { why: 'taken', value: n.name }, message: 'taken' };
        const added = { ...n, password: undefined, port: n.port ?? (n.security === 'tls' ? 993 : 143), folder: n.folder ?? 'INBOX', created_at: new Date().toISOString(), last_fetch: null };
        mailAccounts = [...mailAccounts, added];
        return added;
      }
      case 'mail_test':
        await sleep(500);
        return { messages: 42, uidvalidity: 1 };
      case 'mail_fetch': {
        const total = 5;
        for (let done = 1; done <= total; done++) {
          await sleep(400);
          await emit('mail', { account: a.name, uid: 100 + done, status: done === 3 ? 'skipped' : 'imported', done, total });
        }
        const summary = { at: new Date().toISOString(), imported: 4, duplicate: 0, skipped: 1, failed: 0, error_code: null, error_fault: null, error: null };
        mailAccounts = mailAccounts.map((m) => (m.name === a.name ? { ...m, last_fetch: summary } : m));
        await emit('mail-fetched', a.name);
        return summary;
      }
      case 'mail_remove':
        mailAccounts = mailAccounts.filter((m) => m.name !== a.name);
        return null;
      case 'categories':
        return cats;
      case 'documents_page': {
        await sleep(30);
        const all = ids(a.query);
        return { total: all.length, offset: a.offset, rows: all.slice(a.offset, a.offset + a.limit).map(row) };
      }
      case 'documents_totals': {
        const all = ids(a.query);
        return { count: all.length, by_currency: [{ currency: 'EUR', amount: '1234567.89', count: all.length - 10 }, { currency: 'USD', amount: '4210.00', count: 10 }] };
      }
      case 'document_detail':
        return detail(a.id);
      case 'document_correct': {
        const value: string | null = a.value;
        if (a.field === 'vat_breakdown' && value) parseVat(value);
        const mine = corrections.get(a.id) ?? [];
        const before = [...mine].reverse().find((c) => c.field === a.field);
        mine.push({ field: a.field, old_value: before ? before.new_value : null, new_value: value, at: new Date().toISOString() });
        corrections.set(a.id, mine);
        audit(a.id, 'document.correct', { field: a.field });
        filterCache.clear();
        return detail(a.id);
      }
      case 'documents_set_direction': {
        let changed = 0;
        for (const id of a.ids as string[]) {
          const had = directionSet.get(id);
          if (a.direction === 'unknown') {
            if (had !== undefined) changed++;
            directionSet.delete(id);
          } else if (had !== a.direction) {
            directionSet.set(id, a.direction);
            changed++;
          }
        }
        filterCache.clear();
        return changed;
      }
      case 'document_set_status': {
        if (!(a.status in STATUS_CODES))
          throw { code: 'invalid', field: 'status', why: { why: 'not_one_of', value: a.status, allowed: Object.keys(STATUS_CODES).join(', ') }, message: 'not one of' };
        const i = docIndex(a.id);
        const original = `doc${copyOrigin(i) ?? i}`;
        const at = a.at ?? ymd(today);
        statusLog.set(original, [...(statusLog.get(original) ?? []), { status: a.status, code: STATUS_CODES[a.status], at, source: 'owner', reason: a.note, message: null }]);
        audit(a.id, 'invoice.status', { status: a.status, at });
        filterCache.clear();
        return detail(a.id);
      }
      case 'document_bytes': {
        const i = Number(String(a.id).slice(3));
        if (i % 2) return new TextEncoder().encode('<xml/>').buffer;
        // A sample PDF served by the dev server from ?pdf=<url> (default: none → preview error).
        const url = params.get('pdf');
        if (!url) return new Uint8Array([1, 2, 3]).buffer;
        return await (await fetch(url)).arrayBuffer();
      }
      case 'consents':
        return [{ id: 1, party: 'Cabinet Martin', purpose: 'bookkeeping', from: null, to: null, categories: [], evidence: null,
          granted_at: '2026-01-05T10:00:00Z', withdrawn_at: null, withdrawal_note: null, active: true }];
      case 'consent_history':
        return [];
      case 'bundle_preview': {
        // The preset changes the files written, not the documents: the preview is the same.
        const rows = ids({ text: '' }).slice(0, 200).map(row);
        return {
          period_from: '2025-10-01', period_to: '2025-12-31', documents: 240, document_ids: rows.map((r) => r.id),
          restricted_skipped: 2, unchanged_skipped: 0, by_currency: [{ currency: 'EUR', amount: '48210.35', count: 240 }],
          consent: a.input.recipient === 'Cabinet Martin' ? { id: 1, party: 'Cabinet Martin', purpose: 'bookkeeping', from: null, to: null,
            categories: [], evidence: null, granted_at: '2026-01-05T10:00:00Z', withdrawn_at: null, withdrawal_note: null, active: true } : null,
          rows,
        };
      }
      case 'documents_print':
        // The browser's own print, on the print-only view the UI laid out.
        window.print();
        return null;
      case 'documents_certify':
        return {
          certificate_id: 'mock-certificate',
          created_at: new Date().toISOString(),
          out: a.path,
          bytes: 0,
          key_fingerprint: '0000 0000',
          documents: (a.ids as string[]).map((id) => ({ id, name: id, sha256: '0'.repeat(64) })),
        };
      case 'watch_get':
        return { folder: null, after: 'keep', recursive: false, health: { status: 'off' }, imported: 0, duplicates: 0, failed: [], recent: [] };
      case 'import_paths': {
        const paths: string[] = a.paths;
        const jobs = paths.map((_, k) => k + 1);
        (async () => {
          for (const [k, p] of paths.entries()) {
            const counts = { queued: 0, stored: 0, duplicate: 0, failed: 0, bytes: 0 };
            await emit('ingest', { event: 'extracting', job: jobs[k], path: p });
            await sleep(300);
            if (k % 3 === 2) await emit('ingest', { event: 'failed', job: jobs[k], path: p, reason: 'not a PDF', counts });
            else await emit('ingest', { event: 'stored', job: jobs[k], path: p, id: 'doc1', bytes: 10, counts });
          }
        })();
        return { jobs };
      }
    }
    return null;
  },
  { shouldMockEvents: true },
);

(window as any).__mockImport = async (paths: string[]) => {
  const { importPaths } = await import('../src/lib/api');
  const { noteQueued } = await import('../src/lib/importer.svelte');
  const { jobs } = await importPaths(paths);
  noteQueued(paths, jobs);
};

await import('../src/main');
