import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { MODULES, formatAmount, setLocale, t, tn } from './i18n.svelte';
import { KNOWN_CATEGORIES } from '../components/share/labels';
import { KNOWN_ACTIONS } from './auditFormat';
import { GDPR_ARTICLE } from './gdpr';
import { PERIOD_PRESETS } from './periods';
import { AFTER_KINDS, SECURITIES } from './mailForm';
import { DAYS, SCHEDULE_KINDS } from './schedule';
import {
  DIRECTIONS,
  KNOWN_STATUSES,
  MENTION_KEYS,
  MENTION_SEVERITIES,
  PAYMENT_FILTERS,
  PRESETS,
  STATUS_SOURCES,
} from './invoice';

const SRC = join(__dirname, '..');

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sources(p));
    else if ((name.endsWith('.svelte') || name.endsWith('.ts')) && !name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

describe('message catalogs', () => {
  for (const [area, mod] of Object.entries(MODULES)) {
    it(`${area}: en and fr have the same keys`, () => {
      const en = Object.keys(mod.en).sort();
      const fr = Object.keys(mod.fr).sort();
      expect(fr.filter((k) => !en.includes(k)), 'keys only in fr').toEqual([]);
      expect(en.filter((k) => !fr.includes(k)), 'keys only in en').toEqual([]);
    });
    it(`${area}: keys are prefixed by the area and values are not empty`, () => {
      for (const k of Object.keys(mod.en)) expect(k.startsWith(`${area}.`), k).toBe(true);
      for (const [k, v] of [...Object.entries(mod.en), ...Object.entries(mod.fr)])
        expect(String(v).trim().length, k).toBeGreaterThan(0);
    });
  }

  it('every literal key used in the sources exists', () => {
    const all = new Set<string>();
    for (const m of Object.values(MODULES)) for (const k of Object.keys(m.en)) all.add(k);
    const missing: string[] = [];
    for (const file of sources(SRC)) {
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/\bt\(\s*'([^'$`]+)'/g)) {
        if (!all.has(m[1])) missing.push(`${relative(SRC, file)}: ${m[1]}`);
      }
      for (const m of text.matchAll(/\btn\(\s*'([^'$`]+)'/g)) {
        if (!all.has(`${m[1]}.other`) || !all.has(`${m[1]}.one`))
          missing.push(`${relative(SRC, file)}: ${m[1]}.one/.other`);
      }
    }
    expect(missing).toEqual([]);
  });
});

describe('dynamic message keys', () => {
  // Families of keys built at run time (`t(\`area.x.${value}\`)`), with every value they take.
  const FAMILIES: Record<string, readonly string[]> = {
    'documents.category': KNOWN_CATEGORIES,
    'share.category': KNOWN_CATEGORIES,
    'documents.filter.status': ['review', 'hold', 'restricted', 'due'],
    'audit.action': KNOWN_ACTIONS,
    'privacy.kind': Object.keys(GDPR_ARTICLE),
    'share.period.preset': PERIOD_PRESETS,
    'import.state': ['queued', 'reading', 'stored', 'duplicate', 'failed'],
    'import.watch.health': ['off', 'watching', 'folder_unavailable', 'error'],
    'import.watch.after': ['keep', 'move', 'delete', 'keep.help', 'move.help', 'delete.help'],
    'retention.jurisdiction': ['france', 'germany', 'custom'],
    'settings.imap.security': SECURITIES,
    'settings.imap.after': AFTER_KINDS,
    'settings.schedule.kind': SCHEDULE_KINDS,
    'settings.schedule.day': DAYS,
    'common.nav': ['documents', 'share', 'retention', 'privacy', 'audit', 'settings'],
    'documents.filter.direction': DIRECTIONS,
    'documents.filter.payment': PAYMENT_FILTERS,
    'invoice.direction': DIRECTIONS,
    'invoice.status': KNOWN_STATUSES,
    'invoice.source': STATUS_SOURCES,
    'invoice.mention': MENTION_KEYS,
    'invoice.severity': MENTION_SEVERITIES,
    'share.preset': PRESETS,
  };
  for (const [family, values] of Object.entries(FAMILIES)) {
    it(`${family}.* exists in en and fr for every value`, () => {
      const area = family.split('.')[0];
      const mod = MODULES[area];
      const missing: string[] = [];
      for (const v of values)
        for (const lang of ['en', 'fr'] as const)
          if (!(`${family}.${v}` in mod[lang])) missing.push(`${lang}: ${family}.${v}`);
      expect(missing).toEqual([]);
    });
  }
});

describe('formatting', () => {
  it('formats exact amounts without floats', () => {
    setLocale('en');
    expect(formatAmount('1234567890123456789.99', 'EUR')).toBe('€1,234,567,890,123,456,789.99');
    expect(formatAmount('-0.5', 'EUR')).toBe('-€0.50');
    expect(formatAmount('12', null)).toBe('12.00');
    setLocale('fr');
    expect(formatAmount('1234.56', 'EUR').replace(/\s/g, ' ')).toBe('1 234,56 €');
    expect(formatAmount('oops', 'EUR')).toBe('oops EUR');
    // Formatters are kept per locale: going back gives the English one again.
    setLocale('en');
    expect(formatAmount('1234.56', 'EUR')).toBe('€1,234.56');
    setLocale('auto');
  });
  it('interpolates and pluralises', () => {
    setLocale('en');
    expect(t('common.missing.key.for.test')).toBe('common.missing.key.for.test');
    expect(tn('documents.count', 1)).toContain('1');
    setLocale('auto');
  });
});
