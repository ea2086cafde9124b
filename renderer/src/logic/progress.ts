import type { Progress } from '../../../main/contract/api.js';

export interface ProgressSample {
  /** Milliseconds (performance.now() or Date.now(), as long as one clock is used). */
  at: number;
  done: number;
}

/**
 * Seconds left, from the rate since the first sample of this run. Measured from the first sample rather
 * than from zero because a resumed index starts with `done` already at the passages indexed before.
 * Null until there is a rate to go on.
 */
export function estimateSecondsLeft(first: ProgressSample, latest: ProgressSample, total: number): number | null {
  const work = latest.done - first.done;
  const elapsed = latest.at - first.at;
  if (work <= 0 || elapsed < 250 || total <= 0) return null;
  const left = Math.max(0, total - latest.done);
  return (left * elapsed) / work / 1000;
}

export function progressFraction(p: Progress | null): number {
  if (!p || p.total <= 0) return 0;
  return Math.min(1, Math.max(0, p.done / p.total));
}

/** `1시간 2분`, `3분 5초`, `12초`: the two leading units are enough for an estimate. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  if (h > 0) return m > 0 ? `${h}시간 ${m}분` : `${h}시간`;
  if (m > 0) return sec > 0 ? `${m}분 ${sec}초` : `${m}분`;
  return `${sec}초`;
}

export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes <= 0) return '0 B';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  const i = Math.min(units.length - 1, Math.floor(Math.log(bytes) / Math.log(1024)));
  const v = bytes / 1024 ** i;
  return `${v >= 100 || i === 0 ? v.toFixed(0) : v.toFixed(1)} ${units[i]}`;
}

const PHASES: Record<string, string> = {
  reading: '읽는 중',
  analysing: '분석 중',
  writing: '저장 중',
  encoding: '인코딩 중',
  scoring: '채점 중',
  importing: '가져오는 중',
  indexing: '인덱싱 중',
};

export function phaseLabel(phase: string): string {
  return PHASES[phase] ?? phase;
}
