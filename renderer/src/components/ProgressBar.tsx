import { useRef } from 'react';
import type { Progress } from '../../../main/contract/api.js';
import { estimateSecondsLeft, formatDuration, phaseLabel, progressFraction, type ProgressSample } from '../logic/progress.js';

interface Props {
  progress: Progress | null;
  onCancel?: () => void;
  cancelling?: boolean;
  label?: string;
}

/** A job's progress: bar, phase, counts, time left (from this run's own rate) and Cancel. */
export function ProgressBar({ progress, onCancel, cancelling, label }: Props) {
  const first = useRef<{ phase: string; sample: ProgressSample } | null>(null);
  const now = performance.now();
  if (progress && (!first.current || first.current.phase !== progress.phase || progress.done < first.current.sample.done)) {
    first.current = { phase: progress.phase, sample: { at: now, done: progress.done } };
  }
  const eta = progress && first.current ? estimateSecondsLeft(first.current.sample, { at: now, done: progress.done }, progress.total) : null;
  const fraction = progressFraction(progress);
  return (
    <div className="progress" role="group" aria-label={label ?? '진행 상황'}>
      <div className="progress-track" role="progressbar" aria-valuemin={0} aria-valuemax={100} aria-valuenow={Math.round(fraction * 100)}>
        <div className="progress-fill" style={{ width: `${(fraction * 100).toFixed(1)}%` }} />
      </div>
      <span className="progress-text num">
        {progress ? `${phaseLabel(progress.phase)} ${progress.done.toLocaleString('ko-KR')} / ${progress.total.toLocaleString('ko-KR')}` : '시작하는 중…'}
        {progress && progress.total > 0 ? ` (${Math.round(fraction * 100)}%)` : ''}
        {eta !== null && fraction < 1 ? ` · 남은 시간 약 ${formatDuration(eta)}` : ''}
      </span>
      {onCancel && (
        <button type="button" className="btn small" onClick={onCancel} disabled={cancelling}>
          {cancelling ? '취소하는 중…' : '취소'}
        </button>
      )}
    </div>
  );
}
