import { useRef, useState, type DragEvent, type FormEvent, type KeyboardEvent } from 'react';
import type { CollectionSummary, CompressedIndexSummary, ImportReport, Progress } from '../../../main/contract/api.js';
import { parseProjectionSpec, type ProjectionSpec } from '../../../main/contract/projection.js';
import type { DatasetFormat } from '../../../main/contract/types.js';
import { asApiError, type ApiError, type Job, type SaegimClient } from '../api/client.js';
import { ErrorNotice, IssueTable } from '../components/ErrorNotice.js';
import { ProgressBar } from '../components/ProgressBar.js';
import { isComposing } from '../logic/keys.js';
import { formatBytes, progressFraction } from '../logic/progress.js';

interface Props {
  client: SaegimClient;
  collections: CollectionSummary[] | null;
  active: string | null;
  onSelect(name: string): void;
  onChanged(): Promise<void> | void;
}

interface IndexJob {
  job: Job<unknown>;
  progress: Progress | null;
  cancelling: boolean;
}

const FORMATS: Array<{ value: DatasetFormat | 'auto'; label: string }> = [
  { value: 'auto', label: '자동 감지' },
  { value: 'squad', label: 'KorQuAD / SQuAD' },
  { value: 'beir', label: 'BEIR 폴더' },
  { value: 'jsonl', label: 'JSONL' },
  { value: 'txt', label: '.txt 폴더' },
];

/** A dropped item's path: Electron reveals it; a browser only when the drag carried a file:// URI. */
function droppedPath(e: DragEvent, client: SaegimClient): string | null {
  const file = e.dataTransfer.files[0];
  if (file) {
    const path = client.pathForFile(file);
    if (path) return path;
  }
  const uri = e.dataTransfer.getData('text/uri-list') || e.dataTransfer.getData('text/plain');
  const line = uri
    .split(/\r?\n/)
    .map((l) => l.trim())
    .find((l) => l && !l.startsWith('#'));
  if (line?.startsWith('file://')) {
    try {
      return decodeURIComponent(new URL(line).pathname);
    } catch {
      return null;
    }
  }
  if (line?.startsWith('/')) return line;
  return null;
}

/** Enter that commits a Hangul syllable in a form field must not submit the form. */
const holdImeEnter = (e: KeyboardEvent<HTMLInputElement>) => {
  if (e.key === 'Enter' && isComposing({ key: e.key, isComposing: e.nativeEvent.isComposing, keyCode: e.keyCode })) e.preventDefault();
};

/** Collections up to this many passages are indexed right after import when the box is ticked. */
const INDEX_AFTER_IMPORT_MAX = 2000;

export function DatasetsView({ client, collections, active, onSelect, onChanged }: Props) {
  const [path, setPath] = useState('');
  const [format, setFormat] = useState<DatasetFormat | 'auto'>('auto');
  const [name, setName] = useState('');
  const [skipBad, setSkipBad] = useState(false);
  const [indexAfter, setIndexAfter] = useState(true);
  const [dragOver, setDragOver] = useState(false);
  const [dropHint, setDropHint] = useState<string | null>(null);
  const [importJob, setImportJob] = useState<{ job: Job<ImportReport>; progress: Progress | null } | null>(null);
  const [imported, setImported] = useState<ImportReport | null>(null);
  const [importError, setImportError] = useState<ApiError | null>(null);
  const [indexJobs, setIndexJobs] = useState<Record<string, IndexJob>>({});
  const [indexErrors, setIndexErrors] = useState<Record<string, ApiError>>({});
  const [confirming, setConfirming] = useState<{ collection: string; action: 'delete' | 'rebuild' } | null>(null);
  const [deleteError, setDeleteError] = useState<ApiError | null>(null);
  const pathInput = useRef<HTMLInputElement>(null);

  const startImport = (e?: FormEvent) => {
    e?.preventDefault();
    if (!path.trim() || importJob) return;
    setImported(null);
    setImportError(null);
    const job = client.importDataset(
      { path: path.trim(), format, ...(name.trim() ? { name: name.trim() } : {}), skipBad },
      (progress) => setImportJob((j) => (j ? { ...j, progress } : j)),
    );
    setImportJob({ job, progress: null });
    job.result.then(
      async (report) => {
        setImported(report);
        setPath('');
        setName('');
        await onChanged();
        onSelect(report.collection);
        // Small collections are indexed at once; a large one would tie up the engine for minutes unasked.
        if (indexAfter && report.passages > 0 && report.passages <= INDEX_AFTER_IMPORT_MAX) startIndex(report.collection);
      },
      (err: unknown) => setImportError(asApiError(err)),
    ).finally(() => setImportJob(null));
  };

  const [widths, setWidths] = useState<Record<string, string>>({});

  const startIndex = (collection: string, rebuild = false, compressed?: { projection?: ProjectionSpec }) => {
    if (indexJobs[collection]) return;
    setIndexErrors(({ [collection]: _, ...rest }) => rest);
    const request = {
      collection,
      ...(rebuild ? { rebuild } : {}),
      ...(compressed ? { index: 'compressed' as const, ...(compressed.projection ? { projection: compressed.projection } : {}) } : {}),
    };
    const job = client.indexCollection(request, (progress) =>
      setIndexJobs((all) => (all[collection] ? { ...all, [collection]: { ...all[collection]!, progress } } : all)),
    );
    setIndexJobs((all) => ({ ...all, [collection]: { job, progress: null, cancelling: false } }));
    job.result
      .catch((err: unknown) => setIndexErrors((all) => ({ ...all, [collection]: asApiError(err) })))
      .finally(async () => {
        setIndexJobs(({ [collection]: _, ...rest }) => rest);
        await onChanged();
      });
  };

  const cancelIndex = (collection: string) => {
    const j = indexJobs[collection];
    if (!j) return;
    j.job.cancel();
    setIndexJobs((all) => ({ ...all, [collection]: { ...j, cancelling: true } }));
  };

  const remove = async (collection: string) => {
    setConfirming(null);
    setDeleteError(null);
    try {
      await client.deleteCollection(collection);
    } catch (err) {
      setDeleteError(asApiError(err));
    }
    await onChanged();
  };

  const pick = async (kind: 'file' | 'folder') => {
    const chosen = await client.pickPath?.(kind);
    if (chosen) setPath(chosen);
  };

  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setDragOver(false);
    const dropped = droppedPath(e, client);
    if (dropped) {
      setPath(dropped);
      setDropHint(null);
    } else {
      setDropHint('브라우저는 끌어 놓은 파일의 경로를 알려 주지 않습니다. 경로를 직접 입력하세요.');
      pathInput.current?.focus();
    }
  };

  return (
    <div className="stack">
      <div className="panel">
        <div className="panel-head">
          <h2>데이터셋 가져오기</h2>
          <span className="muted small">KorQuAD/SQuAD JSON · BEIR 폴더 (MIRACL-ko, Mr.TyDi-ko, Ko-StrategyQA) · JSONL · .txt 폴더</span>
        </div>
        <div
          className={`dropzone${dragOver ? ' over' : ''}`}
          data-testid="dropzone"
          onDragOver={(e) => {
            e.preventDefault();
            setDragOver(true);
          }}
          onDragLeave={() => setDragOver(false)}
          onDrop={onDrop}
        >
          <form className="import-form" onSubmit={startImport}>
            <label className="field">
              <span>경로 (파일 또는 폴더를 여기로 끌어 놓을 수도 있습니다)</span>
              <div className="row" style={{ flexWrap: 'nowrap' }}>
                <input
                  ref={pathInput}
                  type="text"
                  style={{ flex: 1 }}
                  value={path}
                  onChange={(e) => setPath(e.target.value)}
                  onKeyDown={holdImeEnter}
                  placeholder="/home/user/data/korquad/KorQuAD_v1.0_dev.json"
                  aria-label="데이터셋 경로"
                  spellCheck={false}
                />
                {client.pickPath && (
                  <>
                    <button type="button" className="btn" onClick={() => void pick('file')}>
                      파일…
                    </button>
                    <button type="button" className="btn" onClick={() => void pick('folder')}>
                      폴더…
                    </button>
                  </>
                )}
              </div>
            </label>
            <label className="field">
              <span>형식</span>
              <select value={format} onChange={(e) => setFormat(e.target.value as DatasetFormat | 'auto')} aria-label="형식">
                {FORMATS.map((f) => (
                  <option key={f.value} value={f.value}>
                    {f.label}
                  </option>
                ))}
              </select>
            </label>
            <label className="field">
              <span>컬렉션 이름 (선택)</span>
              <input
                type="text"
                value={name}
                onChange={(e) => setName(e.target.value)}
                onKeyDown={holdImeEnter}
                placeholder="폴더·파일 이름"
                aria-label="컬렉션 이름"
              />
            </label>
            <div className="row" style={{ flexWrap: 'nowrap' }}>
              <label className="check small">
                <input type="checkbox" checked={skipBad} onChange={(e) => setSkipBad(e.target.checked)} />
                잘못된 레코드 건너뛰기
              </label>
              <label className="check small" title={`문단 ${INDEX_AFTER_IMPORT_MAX.toLocaleString('ko-KR')}개 이하일 때`}>
                <input type="checkbox" checked={indexAfter} onChange={(e) => setIndexAfter(e.target.checked)} />
                가져온 뒤 바로 인덱싱 (작은 컬렉션)
              </label>
              <button type="submit" className="btn primary" disabled={!path.trim() || !!importJob}>
                가져오기
              </button>
            </div>
          </form>
          {dropHint && <p className="small muted" style={{ marginTop: 8 }}>{dropHint}</p>}
        </div>
        {importJob && (
          <div style={{ marginTop: 12 }}>
            <ProgressBar progress={importJob.progress} onCancel={() => importJob.job.cancel()} label="가져오기" />
          </div>
        )}
        {importError && (
          <div style={{ marginTop: 12 }} data-testid="import-error">
            <ErrorNotice error={importError} />
          </div>
        )}
        {imported && (
          <div className="notice ok" style={{ marginTop: 12 }} data-testid="import-report">
            <strong>‘{imported.collection}’ 컬렉션을 만들었습니다.</strong>{' '}
            문단 {imported.passages.toLocaleString('ko-KR')}개 · 질의 {imported.queries.toLocaleString('ko-KR')}개 · 정답 {imported.qrels.toLocaleString('ko-KR')}개
            {imported.duplicatePassagesMerged > 0 && ` · 중복 문단 ${imported.duplicatePassagesMerged}개 병합`}
            {imported.emptyPassages > 0 && ` · 빈 문단 ${imported.emptyPassages}개 제외`}
            {imported.qrelsWithUnknownQuery + imported.qrelsWithUnknownPassage > 0 &&
              ` · 알 수 없는 id를 가리키는 정답 ${imported.qrelsWithUnknownQuery + imported.qrelsWithUnknownPassage}개 제외`}
            {indexAfter && imported.passages <= INDEX_AFTER_IMPORT_MAX ? '. 인덱싱을 시작했습니다.' : '. 이제 인덱스를 구축하세요.'}
            {imported.skipped.length > 0 && (
              <>
                <p className="small" style={{ marginTop: 6 }}>
                  건너뛴 레코드 {imported.skipped.length}개:
                </p>
                <IssueTable issues={imported.skipped} caption="건너뛴 레코드" />
              </>
            )}
          </div>
        )}
      </div>

      <div className="panel">
        <div className="panel-head">
          <h2>컬렉션</h2>
          <span className="muted small">행을 누르면 검색·평가에 쓸 컬렉션으로 선택됩니다.</span>
        </div>
        {deleteError && <ErrorNotice error={deleteError} />}
        {collections === null ? (
          <p className="empty">불러오는 중…</p>
        ) : collections.length === 0 ? (
          <p className="empty">아직 컬렉션이 없습니다. 위에서 데이터셋을 가져오세요.</p>
        ) : (
          <table className="grid" data-testid="collections">
            <thead>
              <tr>
                <th>이름</th>
                <th>형식</th>
                <th className="num">문단</th>
                <th className="num">질의</th>
                <th>모델</th>
                <th className="num">인덱스 크기</th>
                <th style={{ width: '26%' }}>인덱싱</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {collections.map((c) => {
                const running = indexJobs[c.name];
                const complete = c.indexed >= c.passages && c.passages > 0;
                return (
                  <tr key={c.name} className={c.name === active ? 'selected' : ''} onClick={() => onSelect(c.name)} data-collection={c.name}>
                    <td>
                      <div className="collection-name">{c.name}</div>
                      <div className="small muted mono" title={c.source}>
                        {c.source.length > 48 ? `…${c.source.slice(-46)}` : c.source}
                      </div>
                    </td>
                    <td>
                      <span className="tag">{c.format}</span>
                    </td>
                    <td className="num">{c.passages.toLocaleString('ko-KR')}</td>
                    <td className="num">
                      {c.queries.toLocaleString('ko-KR')}
                      {c.splits.length > 0 && (
                        <div className="small muted split-counts" data-testid="split-counts">
                          {c.splits.map((sp) => (
                            <div key={sp} data-split={sp}>
                              {sp}: 질의 {(c.splitCounts[sp]?.queries ?? 0).toLocaleString('ko-KR')} · 정답 {(c.splitCounts[sp]?.qrels ?? 0).toLocaleString('ko-KR')}
                            </div>
                          ))}
                        </div>
                      )}
                    </td>
                    <td>
                      {c.model ? (
                        <span title={c.model.dir}>
                          {c.model.name}
                          <span className="muted small"> · {c.precision}</span>
                        </span>
                      ) : (
                        <span className="muted">—</span>
                      )}
                    </td>
                    <td className="num">
                      {formatBytes(c.indexBytes)}
                      {c.compressed && <CompressedLine summary={c.compressed} />}
                    </td>
                    <td onClick={(e) => e.stopPropagation()}>
                      {running ? (
                        <ProgressBar
                          progress={running.progress}
                          onCancel={() => cancelIndex(c.name)}
                          cancelling={running.cancelling}
                          label={`${c.name} 인덱싱`}
                        />
                      ) : (
                        <div className="meter">
                          <div className="progress-track">
                            <div
                              className="progress-fill"
                              style={{ width: `${(progressFraction({ phase: '', done: c.indexed, total: c.passages }) * 100).toFixed(1)}%` }}
                            />
                          </div>
                          <span className="small num">
                            {c.indexed.toLocaleString('ko-KR')} / {c.passages.toLocaleString('ko-KR')}
                          </span>
                        </div>
                      )}
                      {indexErrors[c.name] && (
                        <div style={{ marginTop: 6 }}>
                          <ErrorNotice error={indexErrors[c.name]!} />
                        </div>
                      )}
                    </td>
                    <td onClick={(e) => e.stopPropagation()} style={{ whiteSpace: 'nowrap', textAlign: 'right' }}>
                      {confirming?.collection === c.name ? (
                        <span className="row" style={{ justifyContent: 'flex-end', gap: 6 }}>
                          <span className="small">{confirming.action === 'delete' ? '삭제할까요?' : '벡터를 지우고 다시 인코딩할까요?'}</span>
                          <button
                            type="button"
                            className={`btn small${confirming.action === 'delete' ? ' danger' : ' primary'}`}
                            onClick={() => {
                              if (confirming.action === 'delete') void remove(c.name);
                              else {
                                setConfirming(null);
                                startIndex(c.name, true);
                              }
                            }}
                          >
                            {confirming.action === 'delete' ? '삭제' : '다시 구축'}
                          </button>
                          <button type="button" className="btn small" onClick={() => setConfirming(null)}>
                            취소
                          </button>
                        </span>
                      ) : (
                        <span className="row" style={{ justifyContent: 'flex-end', gap: 6 }}>
                          {!running && !complete && (
                            <button type="button" className="btn small primary" onClick={() => startIndex(c.name)}>
                              {c.indexed > 0 ? '인덱싱 재개' : '인덱스 구축'}
                            </button>
                          )}
                          {!running && complete && c.model && (!c.compressed || !c.compressed.current) && (
                            <span className="row" style={{ gap: 4 }}>
                              {!c.compressed && (
                                <select
                                  value={widths[c.name] ?? ''}
                                  onChange={(e) => setWidths((all) => ({ ...all, [c.name]: e.target.value }))}
                                  aria-label={`${c.name} 압축 인덱스 폭`}
                                  data-testid="compressed-width"
                                >
                                  {widthChoices(c.model.dim).map((w) => (
                                    <option key={w.value} value={w.value}>
                                      {w.label}
                                    </option>
                                  ))}
                                </select>
                              )}
                              <button
                                type="button"
                                className="btn small"
                                onClick={() => startIndex(c.name, false, { projection: parseProjectionSpec(widths[c.name] ?? '') ?? undefined })}
                                title="토큰 벡터를 중심점 코드와 2비트 잔차로 압축하고 역색인을 만듭니다 (큰 컬렉션의 MVR 검색용)"
                                data-testid="build-compressed"
                              >
                                {c.compressed ? '압축 인덱스 갱신' : '압축 인덱스 만들기'}
                              </button>
                            </span>
                          )}
                          {!running && complete && (
                            <button
                              type="button"
                              className="btn small"
                              onClick={() => setConfirming({ collection: c.name, action: 'rebuild' })}
                              title="벡터를 지우고 현재 모델로 다시 인코딩합니다 (모델을 바꿀 때)"
                            >
                              다시 구축
                            </button>
                          )}
                          <button type="button" className="btn small danger" disabled={!!running} onClick={() => setConfirming({ collection: c.name, action: 'delete' })}>
                            삭제
                          </button>
                        </span>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        )}
      </div>
    </div>
  );
}

/** Width choices for a new compressed index: the vectors as they are, or a projection narrower than them. */
function widthChoices(dim: number): Array<{ value: string; label: string }> {
  const narrower = [128, 64].filter((w) => w < dim);
  return [
    { value: '', label: `전체 폭 (${dim})` },
    ...narrower.map((w) => ({ value: `pca:${w}`, label: `PCA ${w}` })),
    ...narrower.slice(0, 1).map((w) => ({ value: `random:${w}`, label: `무작위 투영 ${w}` })),
  ];
}

/** The compressed index's size and state under the exact index's size. */
function CompressedLine({ summary }: { summary: CompressedIndexSummary }) {
  const width = summary.projection ? ` · ${summary.projection.kind === 'pca' ? 'PCA' : '무작위'} ${summary.projection.dim}` : '';
  return (
    <div className={`small ${summary.current ? 'muted' : 'warn-text'}`} data-testid="compressed-summary" data-current={summary.current}>
      압축 {formatBytes(summary.bytes)} · {summary.bytesPerToken.toFixed(1)} B/토큰{width}
      {!summary.current && ' · 갱신 필요'}
    </div>
  );
}
