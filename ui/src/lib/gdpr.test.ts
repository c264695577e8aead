import { describe, expect, it } from 'vitest';
import { GDPR_ARTICLE, REQUEST_KINDS, daysBetween, isOpen, requestUrgency, sortRequests } from './gdpr';
import type { GdprRequest } from './api';

describe('GDPR articles', () => {
  it('has an article per kind', () => {
    expect(REQUEST_KINDS.map((k) => GDPR_ARTICLE[k])).toEqual([15, 16, 17, 18, 20, 21]);
  });
});

describe('daysBetween', () => {
  it('counts calendar days, across DST and years', () => {
    expect(daysBetween('2026-03-01', '2026-04-01')).toBe(31);
    expect(daysBetween('2026-12-31', '2027-01-01')).toBe(1);
    expect(daysBetween('2026-05-10T12:00:00Z', '2026-05-03')).toBe(-7);
  });
});

describe('requestUrgency', () => {
  const today = '2026-11-23';
  const r = (due: string, status: GdprRequest['status'] = 'open', overdue = false) => ({ due, status, overdue });
  it('flags overdue open requests', () => {
    expect(requestUrgency(r('2026-11-22'), today)).toBe('overdue');
    expect(requestUrgency(r('2026-12-22', 'open', true), today)).toBe('overdue');
  });
  it('flags requests due within 7 days', () => {
    expect(requestUrgency(r('2026-11-23'), today)).toBe('soon');
    expect(requestUrgency(r('2026-11-30'), today)).toBe('soon');
    expect(requestUrgency(r('2026-12-01'), today)).toBeNull();
  });
  it('flags extended requests as open ones', () => {
    expect(requestUrgency(r('2026-11-22', 'extended', true), today)).toBe('overdue');
    expect(requestUrgency(r('2026-11-30', 'extended'), today)).toBe('soon');
  });
  it('never flags closed requests', () => {
    expect(requestUrgency(r('2026-01-01', 'closed', true), today)).toBeNull();
  });
});

describe('sortRequests', () => {
  it('puts open ones first by due date, then closed ones newest first', () => {
    const list = [
      { id: 1, status: 'closed' as const, due: '2026-01-01', received: '2025-12-01' },
      { id: 2, status: 'open' as const, due: '2026-12-20', received: '2026-11-20' },
      { id: 3, status: 'open' as const, due: '2026-12-01', received: '2026-11-01' },
      { id: 4, status: 'closed' as const, due: '2026-03-01', received: '2026-02-01' },
      { id: 5, status: 'extended' as const, due: '2026-12-10', received: '2026-09-10' },
    ];
    expect(sortRequests(list).map((x) => x.id)).toEqual([3, 5, 2, 4, 1]);
  });
  it('counts extended requests as open', () => {
    expect(isOpen({ status: 'open' })).toBe(true);
    expect(isOpen({ status: 'extended' })).toBe(true);
    expect(isOpen({ status: 'closed' })).toBe(false);
  });
});
