// Translations and locale-aware formatting. Messages live in per-area modules (`src/i18n/*.ts`),
// each `{ en: {...}, fr: {...} }` with flat dotted keys prefixed by the area.
import { messages as common } from '../i18n/common';
import { messages as vault } from '../i18n/vault';
import { messages as documents } from '../i18n/documents';
import { messages as importMsgs } from '../i18n/import';
import { messages as detail } from '../i18n/detail';
import { messages as invoice } from '../i18n/invoice';
import { messages as share } from '../i18n/share';
import { messages as retention } from '../i18n/retention';
import { messages as privacy } from '../i18n/privacy';
import { messages as audit } from '../i18n/audit';
import { messages as settings } from '../i18n/settings';
import { messages as errors } from '../i18n/errors';
import { describeError } from './errorText';

export type Locale = 'fr' | 'en';
export type LocalePreference = 'auto' | Locale;

type Catalog = Record<string, string>;
interface Module {
  en: Catalog;
  fr: Catalog;
}

export const MODULES: Record<string, Module> = {
  common,
  vault,
  documents,
  import: importMsgs,
  detail,
  invoice,
  share,
  retention,
  privacy,
  audit,
  settings,
  errors,
};

const catalogs: Record<Locale, Catalog> = { en: {}, fr: {} };
for (const m of Object.values(MODULES)) {
  Object.assign(catalogs.en, m.en);
  Object.assign(catalogs.fr, m.fr);
}

const STORAGE_KEY = 'coffre.locale';

function readPreference(): LocalePreference {
  try {
    const v = globalThis.localStorage?.getItem(STORAGE_KEY);
    if (v === 'fr' || v === 'en') return v;
  } catch {
    /* storage unavailable */
  }
  return 'auto';
}

function resolve(pref: LocalePreference): Locale {
  if (pref !== 'auto') return pref;
  const lang = (globalThis.navigator?.language ?? 'en').toLowerCase();
  return lang.startsWith('fr') ? 'fr' : 'en';
}

const initialPref = readPreference();

/** The current locale (`locale.current`) and the user's preference (`locale.preference`). Reactive. */
export const locale = $state<{ current: Locale; preference: LocalePreference }>({
  current: resolve(initialPref),
  preference: initialPref,
});

function applyDocumentLang(l: Locale) {
  if (typeof document !== 'undefined') document.documentElement.lang = l;
}
applyDocumentLang(locale.current);

/** The current locale, 'fr' or 'en'. */
export function getLocale(): Locale {
  return locale.current;
}

export function setLocale(pref: LocalePreference): void {
  try {
    if (pref === 'auto') globalThis.localStorage?.removeItem(STORAGE_KEY);
    else globalThis.localStorage?.setItem(STORAGE_KEY, pref);
  } catch {
    /* storage unavailable */
  }
  locale.preference = pref;
  locale.current = resolve(pref);
  applyDocumentLang(locale.current);
}

function interpolate(s: string, params?: Record<string, string | number>): string {
  if (!params) return s;
  return s.replace(/\{(\w+)\}/g, (m, name: string) =>
    name in params ? String(params[name]) : m,
  );
}

/** Whether a key exists (in the current locale or English). */
export function hasKey(key: string): boolean {
  return key in catalogs[locale.current] || key in catalogs.en;
}

/** The translation of `key` with `{name}` placeholders filled; falls back to English, then the key. */
export function t(key: string, params?: Record<string, string | number>): string {
  const s = catalogs[locale.current][key] ?? catalogs.en[key] ?? key;
  return interpolate(s, params);
}

/** Plural form: looks up `key.one` / `key.other` (by the locale's plural rules); `{count}` is set. */
export function tn(key: string, count: number, params?: Record<string, string | number>): string {
  const rule = cached('plural', {}, () => new Intl.PluralRules(locale.current)).select(count);
  const form = rule === 'one' ? 'one' : 'other';
  const p = { count: formatNumber(count), ...params };
  const cat = catalogs[locale.current];
  const s = cat[`${key}.${form}`] ?? cat[`${key}.other`] ?? catalogs.en[`${key}.${form}`] ?? catalogs.en[`${key}.other`] ?? key;
  return interpolate(s, p);
}

/** `t(key)` when the key exists, else `fallback` (for codes coming from the core). */
export function tOr(key: string, fallback: string, params?: Record<string, string | number>): string {
  return hasKey(key) ? t(key, params) : fallback;
}

function intlLocale(): string {
  return locale.current === 'fr' ? 'fr-FR' : 'en-GB';
}

// Building an Intl formatter costs far more than using one (WebKit loads the locale's data each
// time): the documents table formats three or four values per row. One formatter per locale and
// options, kept; the map is emptied past a bound (a currency code is whatever a document says).
const formatters = new Map<string, Intl.NumberFormat | Intl.DateTimeFormat | Intl.PluralRules>();
const MAX_FORMATTERS = 256;

function cached<T extends Intl.NumberFormat | Intl.DateTimeFormat | Intl.PluralRules>(
  kind: string,
  opts: object,
  make: (locale: string) => T,
): T {
  const key = `${kind}|${intlLocale()}|${JSON.stringify(opts)}`;
  let f = formatters.get(key);
  if (!f) {
    f = make(intlLocale());
    if (formatters.size >= MAX_FORMATTERS) formatters.clear();
    formatters.set(key, f);
  }
  return f as T;
}

function numberFormat(opts: Intl.NumberFormatOptions = {}): Intl.NumberFormat {
  return cached('number', opts, (l) => new Intl.NumberFormat(l, opts));
}

function dateFormat(opts: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  return cached('date', opts, (l) => new Intl.DateTimeFormat(l, opts));
}

export function formatNumber(n: number): string {
  return numberFormat().format(n);
}

/**
 * An exact decimal string (`"1234.5"`, `"-0.30"`) formatted in the locale, with the currency when
 * given. Never goes through a float: the digits shown are the digits stored.
 */
export function formatAmount(
  amount: string | null | undefined,
  currency: string | null | undefined,
  opts: { minFraction?: number } = {},
): string {
  if (amount === null || amount === undefined || amount === '') return '';
  const m = /^\s*([+-]?)(\d+)(?:\.(\d+))?\s*$/.exec(amount);
  if (!m) return currency ? `${amount} ${currency}` : amount;
  const negative = m[1] === '-';
  const intDigits = m[2];
  let frac = m[3] ?? '';
  const minFraction = opts.minFraction ?? 2;
  if (frac.length < minFraction) frac = frac.padEnd(minFraction, '0');
  try {
    const digits = Math.min(frac.length, 20);
    const opts: Intl.NumberFormatOptions = currency
      ? { style: 'currency', currency, minimumFractionDigits: digits, maximumFractionDigits: digits }
      : { minimumFractionDigits: digits, maximumFractionDigits: digits };
    const nf = numberFormat(opts);
    const template = nf.formatToParts(negative ? -1 : 1);
    const grouped = nf
      .formatToParts(BigInt(intDigits))
      .filter((p) => p.type === 'integer' || p.type === 'group')
      .map((p) => p.value)
      .join('');
    let intDone = false;
    return template
      .map((p) => {
        if (p.type === 'integer') {
          if (intDone) return '';
          intDone = true;
          return grouped;
        }
        if (p.type === 'group') return '';
        if (p.type === 'fraction') return frac;
        return p.value;
      })
      .join('');
  } catch {
    const raw = `${negative ? '-' : ''}${intDigits}${frac ? '.' : ''}${frac}`;
    return currency ? `${raw} ${currency}` : raw;
  }
}

function parseIso(iso: string): { date: Date; hasTime: boolean } | null {
  const d = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso);
  if (d) return { date: new Date(Number(d[1]), Number(d[2]) - 1, Number(d[3])), hasTime: false };
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return null;
  return { date, hasTime: /T|\d:\d/.test(iso) };
}

/** A date (`YYYY-MM-DD`) or timestamp, in the locale's medium style. Unparseable input is returned as is. */
export function formatDate(iso: string | null | undefined): string {
  if (!iso) return '';
  const p = parseIso(iso);
  if (!p) return iso;
  return dateFormat({ dateStyle: 'medium' }).format(p.date);
}

/** A timestamp with date and time (dates without time are shown as dates). */
export function formatDateTime(iso: string | null | undefined): string {
  if (!iso) return '';
  const p = parseIso(iso);
  if (!p) return iso;
  if (!p.hasTime) return formatDate(iso);
  return dateFormat({ dateStyle: 'medium', timeStyle: 'short' }).format(p.date);
}

const UNITS: Record<Locale, string[]> = {
  en: ['B', 'KB', 'MB', 'GB', 'TB'],
  fr: ['o', 'Ko', 'Mo', 'Go', 'To'],
};

/** A size in bytes, in 1024 steps (`12.3 MB`, `12,3 Mo`). */
export function formatBytes(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '';
  const units = UNITS[locale.current];
  let v = Math.abs(n);
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  const nf = numberFormat({ maximumFractionDigits: i === 0 ? 0 : v < 10 ? 1 : 0 });
  return `${n < 0 ? '-' : ''}${nf.format(v)}\u00a0${units[i]}`;
}

/** The user-facing text of a failed command: `errors.<code>` when translated, else the core's message. */
/** The translated text of a failed command (see `errorText.ts`). */
export function errorText(e: unknown): string {
  return describeError(e, t, hasKey);
}
