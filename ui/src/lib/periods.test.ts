import { describe, expect, it } from 'vitest';
import { parsePeriod, periodForFile, presetPeriod, todayIso } from './periods';

const d = (y: number, m: number, day: number) => new Date(y, m - 1, day);

describe('presetPeriod', () => {
  it('computes last month, across the new year', () => {
    expect(presetPeriod('last_month', d(2026, 11, 23))).toBe('2026-10');
    expect(presetPeriod('last_month', d(2026, 1, 5))).toBe('2025-12');
  });
  it('computes last quarter, across the new year', () => {
    expect(presetPeriod('last_quarter', d(2026, 11, 23))).toBe('2026-Q3');
    expect(presetPeriod('last_quarter', d(2026, 4, 1))).toBe('2026-Q1');
    expect(presetPeriod('last_quarter', d(2026, 3, 31))).toBe('2025-Q4');
  });
  it('computes this year and last year', () => {
    expect(presetPeriod('this_year', d(2026, 6, 1))).toBe('2026');
    expect(presetPeriod('last_year', d(2026, 6, 1))).toBe('2025');
  });
  it('always gives a valid period', () => {
    for (const p of ['last_month', 'last_quarter', 'this_year', 'last_year'] as const) {
      expect(parsePeriod(presetPeriod(p, d(2024, 2, 29)))).not.toBeNull();
    }
  });
});

describe('parsePeriod', () => {
  it('parses years, quarters, months and ranges', () => {
    expect(parsePeriod('2026')).toEqual({ from: '2026-01-01', to: '2026-12-31' });
    expect(parsePeriod('2026-Q3')).toEqual({ from: '2026-07-01', to: '2026-09-30' });
    expect(parsePeriod(' 2026-q1 ')).toEqual({ from: '2026-01-01', to: '2026-03-31' });
    expect(parsePeriod('2024-02')).toEqual({ from: '2024-02-01', to: '2024-02-29' });
    expect(parsePeriod('2026-01-01..2026-06-30')).toEqual({ from: '2026-01-01', to: '2026-06-30' });
    expect(parsePeriod('2026-01-01 .. 2026-01-01')).toEqual({ from: '2026-01-01', to: '2026-01-01' });
  });
  it('refuses anything else', () => {
    for (const s of ['', '26', '2026-Q5', '2026-13', '2026-1', '2026-02-30..2026-03-01', '2026-06-30..2026-01-01', 'a..b', '2026..2027', '1..2..3']) {
      expect(parsePeriod(s), s).toBeNull();
    }
  });
});

describe('periodForFile', () => {
  it('keeps simple periods and makes ranges file-safe', () => {
    expect(periodForFile('2026-Q3')).toBe('2026-Q3');
    expect(periodForFile('2026-01-01..2026-06-30')).toBe('2026-01-01_2026-06-30');
    expect(periodForFile(' 2026 / x ')).toBe('2026-x');
  });
});

describe('todayIso', () => {
  it('formats the local date', () => {
    expect(todayIso(d(2026, 3, 7))).toBe('2026-03-07');
  });
});
