import { describe, expect, it } from 'vitest';
import { DAYS, canonicalSchedule, formatSchedule, normalTime, parseSchedule } from './schedule';

describe('normalTime', () => {
  it('reads 24-hour times with one or two hour digits', () => {
    expect(normalTime('9:05')).toBe('09:05');
    expect(normalTime(' 12:30 ')).toBe('12:30');
    expect(normalTime('00:00')).toBe('00:00');
    expect(normalTime('23:59')).toBe('23:59');
    expect(normalTime('07:45:00')).toBe('07:45');
  });
  it('refuses what is not a time of day', () => {
    expect(normalTime('24:00')).toBeNull();
    expect(normalTime('9:5')).toBeNull();
    expect(normalTime('12:60')).toBeNull();
    expect(normalTime('123:00')).toBeNull();
    expect(normalTime('')).toBeNull();
    expect(normalTime('noon')).toBeNull();
  });
});

describe('parseSchedule', () => {
  it('reads the three forms', () => {
    expect(parseSchedule('off')).toEqual({ kind: 'off', day: 'mon', time: '12:30' });
    expect(parseSchedule('daily 9:05')).toEqual({ kind: 'daily', day: 'mon', time: '09:05' });
    expect(parseSchedule('daily 12:30')).toEqual({ kind: 'daily', day: 'mon', time: '12:30' });
    expect(parseSchedule('weekly fri 18:00')).toEqual({ kind: 'weekly', day: 'fri', time: '18:00' });
    expect(parseSchedule('  Weekly  SUN  7:30 ')).toEqual({ kind: 'weekly', day: 'sun', time: '07:30' });
  });
  it('refuses anything else', () => {
    expect(parseSchedule('')).toBeNull();
    expect(parseSchedule('daily')).toBeNull();
    expect(parseSchedule('daily 25:00')).toBeNull();
    expect(parseSchedule('weekly 18:00')).toBeNull();
    expect(parseSchedule('weekly friday 18:00')).toBeNull();
    expect(parseSchedule('monthly 1 12:00')).toBeNull();
    expect(parseSchedule('off now')).toBeNull();
  });
});

describe('formatSchedule', () => {
  it('writes what the core reads', () => {
    expect(formatSchedule({ kind: 'off', day: 'tue', time: '' })).toBe('off');
    expect(formatSchedule({ kind: 'daily', day: 'tue', time: '9:05' })).toBe('daily 09:05');
    expect(formatSchedule({ kind: 'weekly', day: 'tue', time: '21:15' })).toBe('weekly tue 21:15');
    expect(formatSchedule({ kind: 'daily', day: 'mon', time: '' })).toBeNull();
    expect(formatSchedule({ kind: 'weekly', day: 'mon', time: '7' })).toBeNull();
  });
  it('round-trips every day', () => {
    for (const day of DAYS) {
      const text = `weekly ${day} 06:00`;
      expect(formatSchedule(parseSchedule(text)!)).toBe(text);
    }
  });
});

describe('canonicalSchedule', () => {
  it('writes equal schedules the same way', () => {
    expect(canonicalSchedule('daily 9:05')).toBe('daily 09:05');
    expect(canonicalSchedule('WEEKLY Mon 9:00')).toBe('weekly mon 09:00');
    expect(canonicalSchedule(' odd ')).toBe('odd');
  });
});
