import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { KNOWN_STATUSES, STATUS_NAMES, orNull, statusTone, todayYmd, toggleId, vatText } from './invoice';

describe('vatText', () => {
  it('writes the lines in the form document_correct takes', () => {
    expect(
      vatText([
        { rate: '20', taxable_amount: '100.00', tax_amount: '20.00', category: null },
        { rate: '5.5', taxable_amount: '50.00', tax_amount: '2.75', category: null },
      ]),
    ).toBe('20:100.00:20.00; 5.5:50.00:2.75');
  });
  it('keeps the category and is empty without lines', () => {
    expect(vatText([{ rate: '0', taxable_amount: '80', tax_amount: '0', category: 'AE' }])).toBe('0:80:0:AE');
    expect(vatText([])).toBe('');
  });
});

describe('statuses', () => {
  it('are the fifteen of the reform, and other', () => {
    expect(STATUS_NAMES).toHaveLength(15);
    expect(new Set(STATUS_NAMES).size).toBe(15);
    expect(KNOWN_STATUSES).toContain('other');
    expect(STATUS_NAMES).not.toContain('other');
  });
  it('match the core', () => {
    // The core's table (crates/core/src/records/status.rs), when the sources are at hand.
    let rust: string;
    try {
      rust = readFileSync(join(__dirname, '../../../crates/core/src/records/status.rs'), 'utf8');
    } catch {
      return;
    }
    const names = [...rust.matchAll(/\("\d{3}", "([a-z-]+)"\)/g)].map((m) => m[1]);
    expect(names).toEqual([...STATUS_NAMES]);
  });
  it('have a tone', () => {
    expect(statusTone('paid')).toBe('ok');
    expect(statusTone('refused')).toBe('danger');
    expect(statusTone('rejected')).toBe('danger');
    expect(statusTone('disputed')).toBe('warn');
    expect(statusTone('received')).toBe('');
    expect(statusTone('something-new')).toBe('');
  });
});

describe('helpers', () => {
  it('writes today in local time', () => {
    expect(todayYmd(new Date(2026, 0, 5, 23, 30))).toBe('2026-01-05');
    expect(todayYmd(new Date(2026, 11, 31, 0, 0))).toBe('2026-12-31');
  });
  it('turns empty text into null', () => {
    expect(orNull('  ')).toBeNull();
    expect(orNull(' paid late ')).toBe('paid late');
  });
  it('toggles ids', () => {
    expect(toggleId([], 'a')).toEqual(['a']);
    expect(toggleId(['a', 'b'], 'a')).toEqual(['b']);
    expect(toggleId(['a'], 'b')).toEqual(['a', 'b']);
  });
});
