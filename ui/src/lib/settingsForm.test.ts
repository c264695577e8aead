import { describe, expect, it } from 'vitest';
import { daysSince, parseIdList, parseWhole, validMonthDay, yearBars } from './settingsForm';

describe('validMonthDay', () => {
  it('accepts real days only', () => {
    expect(validMonthDay('12-31')).toBe(true);
    expect(validMonthDay('02-29')).toBe(true);
    expect(validMonthDay('06-30')).toBe(true);
    expect(validMonthDay('06-31')).toBe(false);
    expect(validMonthDay('13-01')).toBe(false);
    expect(validMonthDay('1-1')).toBe(false);
  });
});

describe('parseIdList', () => {
  it('splits, trims and dedupes', () => {
    expect(parseIdList(' FR123, 552100554 ;FR123\n,, ')).toEqual(['FR123', '552100554']);
    expect(parseIdList('')).toEqual([]);
  });
});

describe('parseWhole', () => {
  it('reads bounded whole numbers', () => {
    expect(parseWhole(' 30 ')).toBe(30);
    expect(parseWhole('0', 1)).toBeNull();
    expect(parseWhole('2.5')).toBeNull();
    expect(parseWhole('-1')).toBeNull();
    expect(parseWhole('5000', 1, 4096)).toBeNull();
  });
});

describe('daysSince', () => {
  it('counts whole days', () => {
    const now = new Date('2026-11-23T12:00:00Z');
    expect(daysSince('2026-11-20T13:00:00Z', now)).toBe(2);
    expect(daysSince(null, now)).toBeNull();
    expect(daysSince('nope', now)).toBeNull();
    expect(daysSince('2026-12-01T00:00:00Z', now)).toBe(0);
  });
});

describe('yearBars', () => {
  it('sorts years and scales to the largest', () => {
    expect(yearBars({ '2031': 2, '2030': 4, '2032': 0 })).toEqual([
      { year: '2030', count: 4, pct: 100 },
      { year: '2031', count: 2, pct: 50 },
      { year: '2032', count: 0, pct: 0 },
    ]);
    expect(yearBars({})).toEqual([]);
  });
});
