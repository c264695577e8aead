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
function row(i: number) {
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
function matches(q: { text: string }, i: number) {
  if (!q.text) return true;
  const r = row(i);
  return `${r.number} ${r.seller} ${r.total_with_vat}`.toLowerCase().includes(q.text.toLowerCase());
}
const filterCache = new Map<string, number[]>();
function ids(q: { text: string }): number[] {
  const k = JSON.stringify(q);
  if (!filterCache.has(k)) {
    const out: number[] = [];
    for (let i = 0; i < N; i++) if (matches(q, i)) out.push(i);
    filterCache.set(k, out);
  }
  return filterCache.get(k)!;
}

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
        return { jurisdiction: 'france', fiscal_year_end: '12-31', auto_lock_minutes: 10, owner_ids: [], max_import_size: 100 * 1024 * 1024,
          audit_access_months: 12, backup_warn_days: 7, retention_years: [],
          mail_keep_types: ['pdf', 'xml', 'image'], mail_skip_names: ['CGV'], mail_inline_image_below: 20480,
          mail_keep_without_attachments: false, mail_fetch_every_minutes: 15, backup_schedule: 'daily 12:30',
          backup: { folder: null, last_at: null, warn_after_days: 7, overdue: false, schedule: 'daily 12:30',
                    next_at: null, due: false, missed: false } };
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
      case 'document_detail': {
        const i = Number(String(a.id).slice(3));
        const r = row(i);
        return {
          document: { id: r.id, name: r.name, size: r.size, media_type: i % 2 ? 'application/xml' : 'application/pdf', kind: 'invoice', sha256: 'ab', imported_at: r.imported_at },
          fields: {
            format: i % 2 ? 'cii' : 'pdf-text', number: r.number, issue_date: r.issue_date, due_date: null, currency: r.currency, type_code: '380',
            seller: { name: r.seller, vat_id: 'FR12345678901', legal_id: '123456789' }, buyer: { name: 'Marie Curie', vat_id: null },
            total_without_vat: '1028.80', total_vat: '205.76', total_with_vat: '1234.56', amount_due: '1234.56', iban: 'FR7630006000011234567890189',
            fields: { number: { source: 'text', confidence: 0.8 }, total_with_vat: { source: 'xml', confidence: 1 } },
            lines: [{ id: '1', name: 'Consulting', quantity: '8', unit_code: 'HUR', net_amount: '1028.80', vat_rate: '20' }],
            vat_breakdown: [{ category: 'S', rate: '20', taxable_amount: '1028.80', tax_amount: '205.76' }],
            needs_review: r.needs_review, issues: ['total_mismatch'],
          },
          corrections: [{ field: 'seller.name', old_value: 'ACME', new_value: r.seller, at: '2026-03-01T10:00:00Z' }],
          retention: { id: r.id, name: r.name, category: r.category, issue_date: r.issue_date, retain_until: '2036-12-31', hold_reason: null, restricted_reason: null },
          audit: [{ seq: 1, at: r.imported_at, action: 'document.import', doc_id: r.id, detail: {} }, { seq: 2, at: '2026-03-01T10:00:00Z', action: 'document.correct', doc_id: r.id, detail: {} }],
        };
      }
      case 'document_bytes': {
        const i = Number(String(a.id).slice(3));
        if (i % 2) return new TextEncoder().encode('<xml/>').buffer;
        // A sample PDF served by the dev server from ?pdf=<url> (default: none → preview error).
        const url = params.get('pdf');
        if (!url) return new Uint8Array([1, 2, 3]).buffer;
        return await (await fetch(url)).arrayBuffer();
      }
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
