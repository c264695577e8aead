import { describe, expect, it } from 'vitest';
import { detailPairs, isKnownAction, mergePages, oldestSeq } from './auditFormat';

describe('detailPairs', () => {
  it('flattens objects into key/value strings', () => {
    expect(
      detailPairs({ name: 'a.pdf', bytes: 12, ok: true, none: null, list: ['x', 'y'], nested: { a: 1, b: { c: 2 } } }),
    ).toEqual([
      ['name', 'a.pdf'],
      ['bytes', '12'],
      ['ok', 'true'],
      ['none', '—'],
      ['list', 'x, y'],
      ['nested.a', '1'],
      ['nested.b', '{"c":2}'],
    ]);
  });
  it('handles empty and non-object details', () => {
    expect(detailPairs({})).toEqual([]);
    expect(detailPairs(null)).toEqual([]);
    expect(detailPairs('text')).toEqual([['', 'text']]);
    expect(detailPairs({ e: {} })).toEqual([['e', '—']]);
    expect(detailPairs({ e: [] })).toEqual([['e', '—']]);
  });
});

describe('actions', () => {
  it('knows the common actions only', () => {
    expect(isKnownAction('document.import')).toBe(true);
    expect(isKnownAction('bundle.create')).toBe(true);
    expect(isKnownAction('invoice.status')).toBe(true);
    expect(isKnownAction('something.else')).toBe(false);
  });
});

describe('paging', () => {
  it('finds the oldest seq and merges pages without duplicates', () => {
    expect(oldestSeq([])).toBeNull();
    expect(oldestSeq([{ seq: 9 }, { seq: 5 }, { seq: 7 }])).toBe(5);
    expect(mergePages([{ seq: 9 }, { seq: 8 }], [{ seq: 8 }, { seq: 7 }]).map((e) => e.seq)).toEqual([9, 8, 7]);
  });
});
