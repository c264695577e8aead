import { describe, expect, it } from 'vitest';
import { moveSelection, pageOf, pagesFor, pagesToFetch, scrollToReveal, visibleRange } from './virtual';

describe('visibleRange', () => {
  it('is empty without rows', () => {
    expect(visibleRange(0, 500, 36, 0)).toEqual({ start: 0, end: 0 });
  });
  it('covers the viewport plus overscan at the top', () => {
    expect(visibleRange(0, 360, 36, 100_000, 5)).toEqual({ start: 0, end: 15 });
  });
  it('covers the viewport plus overscan in the middle of 100,000 rows', () => {
    const r = visibleRange(36 * 50_000 + 10, 360, 36, 100_000, 5);
    expect(r.start).toBe(50_000 - 5);
    expect(r.end).toBe(50_011 + 5);
    expect(r.end - r.start).toBeLessThan(40);
  });
  it('clamps at the end', () => {
    const r = visibleRange(36 * 100_000, 360, 36, 100_000, 5);
    expect(r.end).toBe(100_000);
    expect(r.start).toBe(100_000 - 1 - 5);
  });
  it('handles fewer rows than the viewport', () => {
    expect(visibleRange(0, 1000, 36, 3, 8)).toEqual({ start: 0, end: 3 });
  });
  it('ignores negative scroll (elastic scrolling)', () => {
    expect(visibleRange(-50, 360, 36, 100, 0)).toEqual({ start: 0, end: 10 });
  });
});

describe('pages', () => {
  it('maps rows to pages', () => {
    expect(pageOf(0, 100)).toBe(0);
    expect(pageOf(99, 100)).toBe(0);
    expect(pageOf(100, 100)).toBe(1);
  });
  it('lists the pages of a range, including both ends', () => {
    expect(pagesFor({ start: 95, end: 205 }, 100)).toEqual([0, 1, 2]);
    expect(pagesFor({ start: 100, end: 200 }, 100)).toEqual([1]);
    expect(pagesFor({ start: 0, end: 0 }, 100)).toEqual([]);
  });
  it('fetches only pages neither cached nor in flight', () => {
    const have = new Map([[0, true]]);
    const inflight = new Set([2]);
    expect(pagesToFetch({ start: 50, end: 350 }, 100, have, inflight)).toEqual([1, 3]);
  });
});

describe('selection', () => {
  it('scrolls only when needed', () => {
    expect(scrollToReveal(5, 36, 0, 360)).toBeNull();
    expect(scrollToReveal(10, 36, 0, 360)).toBe(11 * 36 - 360);
    expect(scrollToReveal(2, 36, 200, 360)).toBe(72);
  });
  it('moves and clamps', () => {
    expect(moveSelection(-1, 1, 10)).toBe(0);
    expect(moveSelection(-1, -1, 10)).toBe(9);
    expect(moveSelection(9, 1, 10)).toBe(9);
    expect(moveSelection(0, -1, 10)).toBe(0);
    expect(moveSelection(3, 10, 10)).toBe(9);
    expect(moveSelection(0, 1, 0)).toBe(-1);
  });
});
