import { describe, expect, it } from 'vitest';
import { estimateSecondsLeft, formatBytes, formatDuration, phaseLabel, progressFraction } from '../../renderer/src/logic/progress.js';

describe('progress', () => {
  it('estimates time left from the rate since this run started, not from zero', () => {
    // Resumed at 600/1000; 100 passages in 10 s → 300 left at 10/s = 30 s.
    expect(estimateSecondsLeft({ at: 0, done: 600 }, { at: 10_000, done: 700 }, 1000)).toBeCloseTo(30, 9);
  });

  it('has no estimate before any work or time has passed', () => {
    expect(estimateSecondsLeft({ at: 0, done: 5 }, { at: 5_000, done: 5 }, 10)).toBeNull();
    expect(estimateSecondsLeft({ at: 0, done: 0 }, { at: 100, done: 3 }, 10)).toBeNull();
  });

  it('clamps the fraction done', () => {
    expect(progressFraction({ phase: 'encoding', done: 5, total: 20 })).toBe(0.25);
    expect(progressFraction({ phase: 'encoding', done: 30, total: 20 })).toBe(1);
    expect(progressFraction({ phase: 'reading', done: 0, total: 0 })).toBe(0);
    expect(progressFraction(null)).toBe(0);
  });

  it('formats durations in Korean units', () => {
    expect(formatDuration(12.4)).toBe('12초');
    expect(formatDuration(185)).toBe('3분 5초');
    expect(formatDuration(3720)).toBe('1시간 2분');
    expect(formatDuration(7200)).toBe('2시간');
  });

  it('formats byte counts', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.5 KB');
    expect(formatBytes(250 * 1024 * 1024)).toBe('250 MB');
  });

  it('names known phases in Korean and passes unknown ones through', () => {
    expect(phaseLabel('encoding')).toBe('인코딩 중');
    expect(phaseLabel('tokenizing')).toBe('tokenizing');
  });
});
