import { useEffect, useMemo, useRef, useState, type KeyboardEvent } from 'react';
import type { CollectionSummary, EvaluationReport, MethodResult, QueryEntry, SearchHit, SearchResponse } from '../../../main/contract/api.js';
import { SearchRequestSchema } from '../../../main/contract/schemas.js';
import type { SearchMethod } from '../../../main/contract/types.js';
import { asApiError, type ApiError, type SaegimClient } from '../api/client.js';
import { ErrorNotice } from '../components/ErrorNotice.js';
import { METHOD_COLOUR, MethodSelect, methodStyle } from '../components/methods.js';
import { FusionSelect, QueryScoringToggle, TokenIndexSelect } from '../components/scoring-controls.js';
import { disagreement, METHOD_LABEL, METHOD_ORDER, metricKey } from '../logic/evaluation.js';
import { moveCursor, submitsQuery, type ResultCursor } from '../logic/keys.js';
import { markerLabel, rankMarkers, ranksOf, type RankMarker } from '../logic/rank-diff.js';
import { methodNote, scoreDecimals, tokenIndexField, type FusionChoice, type QueryScoring, type TokenIndexChoice } from '../logic/scoring.js';
import type { AlignmentTarget } from './AlignmentView.js';

/** A query sent from elsewhere (the evaluation scatter); the nonce makes a repeat of the same text run again. */
export interface QueryRequest {
  text: string;
  nonce: number;
}

/** The longest query the engine accepts, from the request schema itself. */
export const QUERY_MAX_CHARS = SearchRequestSchema.shape.query.maxLength ?? 2000;

/** Queries the browser lists at most; a BEIR test split has thousands. */
const QUERY_LIST_LIMIT = 5000;
const BROWSER_ROWS = 50;

type QueryFilter = 'all' | 'disagree' | 'mvr-wins' | 'mvr-loses';

interface Props {
  client: SaegimClient;
  collection: CollectionSummary | null;
  request: QueryRequest | null;
  visible: boolean;
  onOpen(target: AlignmentTarget): void;
  /** Told of every query whose results are shown (for the address bar). */
  onSearched?(query: string): void;
}

const SNIPPET_CHARS = 140;

function snippet(hit: SearchHit): string {
  const text = hit.text.replace(/\s+/g, ' ').trim();
  return text.length > SNIPPET_CHARS ? `${text.slice(0, SNIPPET_CHARS)}…` : text;
}

function formatScore(result: MethodResult, score: number): string {
  return score.toFixed(scoreDecimals(result.method, result.fusion));
}

export function SearchView({ client, collection, request, visible, onOpen, onSearched }: Props) {
  const [query, setQuery] = useState('');
  const [k, setK] = useState(10);
  const [skipPunctuation, setSkipPunctuation] = useState(false);
  const [queryScoring, setQueryScoring] = useState<QueryScoring>('model');
  const [fusion, setFusion] = useState<FusionChoice>('auto');
  const [tokenIndex, setTokenIndex] = useState<TokenIndexChoice>('auto');
  // The scoring the shown results ran with: the alignment opened from them must sum the same way.
  const [shownScoring, setShownScoring] = useState<QueryScoring>('model');
  const [reference, setReference] = useState<SearchMethod>('bm25');
  const [response, setResponse] = useState<SearchResponse | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const [cursor, setCursor] = useState<ResultCursor | null>(null);
  const [linked, setLinked] = useState<string | null>(null);
  const input = useRef<HTMLInputElement>(null);
  const grid = useRef<HTMLDivElement>(null);
  const latest = useRef(0);

  const run = async (text = query) => {
    if (!collection || !text.trim()) return;
    const ticket = ++latest.current;
    setBusy(true);
    setError(null);
    try {
      // Only a collection with a compressed index can be asked for it; switching collections falls back to the default.
      const index = collection.compressed ? tokenIndexField(tokenIndex) : {};
      const r = await client.search({ collection: collection.name, query: text, k, skipPunctuation, queryScoring, fusion, ...index });
      if (ticket !== latest.current) return;
      setResponse(r);
      setShownScoring(queryScoring);
      setCursor(null);
      onSearched?.(r.query);
    } catch (err) {
      if (ticket === latest.current) {
        // The previous query's cards would otherwise read as this query's results, and open its alignment.
        setResponse(null);
        setCursor(null);
        setLinked(null);
        setError(asApiError(err));
      }
    } finally {
      if (ticket === latest.current) setBusy(false);
    }
  };

  useEffect(() => {
    if (!request) return;
    setQuery(request.text);
    void run(request.text);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [request?.nonce]);

  useEffect(() => {
    if (visible && !response) input.current?.focus();
  }, [visible, response]);

  // Flipping a scoring choice re-ranks the results shown, so the two can be compared side by side.
  const choices = `${queryScoring}|${fusion}|${tokenIndex}`;
  const lastChoices = useRef(choices);
  useEffect(() => {
    if (lastChoices.current === choices) return;
    lastChoices.current = choices;
    if (response) void run(response.query);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [choices]);

  const [queries, setQueries] = useState<QueryEntry[] | null>(null);
  const collectionName = collection?.name ?? null;
  const hasQueries = (collection?.queries ?? 0) > 0;
  useEffect(() => {
    setQueries(null);
    if (!collectionName || !hasQueries) return;
    let live = true;
    client.listQueries({ collection: collectionName, limit: QUERY_LIST_LIMIT }).then(
      (q) => live && setQueries(q),
      () => live && setQueries([]),
    );
    return () => {
      live = false;
    };
  }, [client, collectionName, hasQueries]);
  const byText = useMemo(() => new Map((queries ?? []).map((q) => [q.text.trim(), q])), [queries]);
  const known = response ? byText.get(response.query.trim()) : undefined;
  const relevant = useMemo(() => new Set(known ? Object.values(known.relevant).flat() : []), [known]);

  const results: MethodResult[] = useMemo(
    () => (response ? METHOD_ORDER.map((m) => response.results.find((r) => r.method === m)).filter((r): r is MethodResult => !!r) : []),
    [response],
  );
  const markers = useMemo(() => rankMarkers(results, reference), [results, reference]);

  const open = (method: SearchMethod, hit: SearchHit) => {
    if (!response) return;
    onOpen({
      collection: response.collection,
      query: response.query,
      docId: hit.docId,
      title: hit.title,
      skipPunctuation,
      queryScoring: shownScoring,
      ranks: ranksOf(results, hit.docId),
      ranksScoring: shownScoring,
      from: method,
      ...(results.find((r) => r.method === method)?.tokenIndex === 'compressed' ? { rankedBy: 'compressed' as const } : {}),
    });
  };

  const onQueryKey = (e: KeyboardEvent<HTMLInputElement>) => {
    if (e.key === 'Enter') {
      // Enter that ends a Hangul composition must only commit the syllable (logic/keys.ts).
      if (submitsQuery({ key: e.key, isComposing: e.nativeEvent.isComposing, keyCode: e.keyCode, shiftKey: e.shiftKey })) {
        e.preventDefault();
        void run();
      }
      return;
    }
    if (e.key === 'ArrowDown' && results.length > 0 && !e.nativeEvent.isComposing) {
      e.preventDefault();
      setCursor(moveCursor(results, null, 'ArrowDown'));
      grid.current?.focus();
    }
  };

  const onGridKey = (e: KeyboardEvent<HTMLDivElement>) => {
    if (e.key === 'Enter' && cursor) {
      const hit = results.find((r) => r.method === cursor.method)?.hits[cursor.index];
      if (hit) {
        e.preventDefault();
        open(cursor.method, hit);
      }
      return;
    }
    if (e.key === 'Escape') {
      input.current?.focus();
      return;
    }
    if (e.key === 'ArrowUp' && cursor?.index === 0) {
      e.preventDefault();
      setCursor(null);
      input.current?.focus();
      return;
    }
    const next = moveCursor(results, cursor, e.key);
    if (next !== cursor) {
      e.preventDefault();
      setCursor(next);
    }
  };

  useEffect(() => {
    if (!cursor) return;
    grid.current?.querySelector<HTMLElement>(`[data-method="${cursor.method}"][data-index="${cursor.index}"]`)?.scrollIntoView({ block: 'nearest' });
  }, [cursor]);

  const cursorDoc = cursor ? results.find((r) => r.method === cursor.method)?.hits[cursor.index]?.docId : undefined;
  const highlighted = linked ?? cursorDoc ?? null;

  return (
    <div>
      <div className="panel">
        <form
          className="search-form"
          onSubmit={(e) => {
            e.preventDefault();
          }}
        >
          <input
            ref={input}
            type="search"
            value={query}
            onChange={(e) => setQuery(e.target.value)}
            onKeyDown={onQueryKey}
            placeholder="질의를 입력하세요 — 예: 한글을 만든 왕은 누구인가?"
            aria-label="질의"
            lang="ko"
            autoComplete="off"
            spellCheck={false}
            maxLength={QUERY_MAX_CHARS}
            aria-describedby="query-length"
          />
          <span id="query-length" className={`query-length small num${query.length >= QUERY_MAX_CHARS ? ' full' : ''}`} data-testid="query-length" title="질의 최대 길이">
            {query.length.toLocaleString('ko-KR')} / {QUERY_MAX_CHARS.toLocaleString('ko-KR')}자
          </span>
          <button type="button" className="btn primary" onClick={() => void run()} disabled={!collection || !query.trim() || busy}>
            {busy ? '검색 중…' : '검색'}
          </button>
        </form>
        <div className="row small" style={{ marginTop: 10, gap: 18 }}>
          <span className="muted">{collection ? `‘${collection.name}’ · 문단 ${collection.passages.toLocaleString('ko-KR')}개` : '컬렉션을 먼저 가져오세요'}</span>
          <label className="row" style={{ gap: 6 }}>
            상위
            <select value={k} onChange={(e) => setK(Number(e.target.value))} aria-label="상위 k">
              {[5, 10, 20, 50].map((n) => (
                <option key={n} value={n}>
                  {n}
                </option>
              ))}
            </select>
          </label>
          <label className="row" style={{ gap: 6 }}>
            순위 비교 기준
            <MethodSelect value={reference} onChange={setReference} label="순위 비교 기준" />
          </label>
          <label className="check">
            <input type="checkbox" checked={skipPunctuation} onChange={(e) => setSkipPunctuation(e.target.checked)} />
            MaxSim에서 문단의 문장부호 제외
          </label>
          <QueryScoringToggle value={queryScoring} onChange={setQueryScoring} />
          <label className="row" style={{ gap: 6 }}>
            Hybrid 결합
            <FusionSelect value={fusion} onChange={setFusion} />
          </label>
          {collection?.compressed && (
            <label className="row" style={{ gap: 6 }}>
              MVR 인덱스
              <TokenIndexSelect value={tokenIndex} onChange={setTokenIndex} current={collection.compressed.current} />
            </label>
          )}
          <span className="muted" style={{ marginLeft: 'auto' }}>
            <span className="kbd">↑</span> <span className="kbd">↓</span> <span className="kbd">←</span> <span className="kbd">→</span> 결과 이동 ·{' '}
            <span className="kbd">Enter</span> 토큰 정렬 보기
          </span>
        </div>
        {collection && queries && queries.length > 0 && (
          <QueryBrowser
            client={client}
            collection={collection}
            queries={queries}
            onPick={(text) => {
              setQuery(text);
              void run(text);
            }}
          />
        )}
      </div>

      {response && known && (
        <p className="small muted" style={{ marginTop: 10 }} data-testid="known-query">
          컬렉션의 질의 <span className="mono">{known.id}</span> — 정답 문단 {relevant.size}개에 <span className="tag ok">정답</span> 표시
        </p>
      )}

      {error && (
        <div style={{ marginTop: 16 }}>
          <ErrorNotice error={error} />
        </div>
      )}

      {!response && !error && (
        <p className="empty">
          질의를 입력하면 MVR · BM25 · SVR · Hybrid 결과가 나란히 표시됩니다.
          <br />
          <span className="small">결과 카드의 ↑/↓ 표시는 같은 문단이 비교 기준 방법보다 몇 계단 위·아래에 있는지, new는 기준 결과에 없다는 뜻입니다.</span>
        </p>
      )}

      {response && (
        <div
          className="results"
          ref={grid}
          tabIndex={0}
          onKeyDown={onGridKey}
          role="group"
          aria-label="방법별 검색 결과 (화살표 키로 이동, Enter로 토큰 정렬)"
          data-testid="results"
        >
          {results.map((r) => (
            <div className="column" key={r.method} style={methodStyle(r.method)} data-column={r.method} role="group" aria-label={METHOD_LABEL[r.method]}>
              <div className="column-head">
                <h3>{METHOD_LABEL[r.method]}</h3>
                {r.method === reference && <span className="tag accent">기준</span>}
                <span className="spacer" />
                {!r.unavailable && <span className="small muted num">{r.millis < 1 ? '<1' : r.millis.toFixed(0)} ms</span>}
                {!r.unavailable && methodNote(r) && (
                  <p className="column-note" data-testid={`method-note-${r.method}`}>
                    {methodNote(r)}
                  </p>
                )}
              </div>
              {r.unavailable ? (
                <div className="unavailable" data-testid={`unavailable-${r.method}`}>
                  <strong>사용할 수 없음</strong>
                  <br />
                  {r.unavailable}
                </div>
              ) : r.hits.length === 0 ? (
                <div className="unavailable">일치하는 문단이 없습니다.</div>
              ) : (
                r.hits.map((hit, i) => (
                  <HitCard
                    key={hit.docId}
                    result={r}
                    method={r.method}
                    index={i}
                    hit={hit}
                    marker={markers[r.method]?.get(hit.docId)}
                    isCursor={cursor?.method === r.method && cursor.index === i}
                    isLinked={highlighted === hit.docId}
                    isRelevant={relevant.has(hit.docId)}
                    onHover={setLinked}
                    onOpen={() => open(r.method, hit)}
                  />
                ))
              )}
            </div>
          ))}
        </div>
      )}
    </div>
  );
}

interface HitProps {
  result: MethodResult;
  method: SearchMethod;
  index: number;
  hit: SearchHit;
  marker: RankMarker | undefined;
  isCursor: boolean;
  isLinked: boolean;
  isRelevant: boolean;
  onHover(docId: string | null): void;
  onOpen(): void;
}

const MARKER_TITLE: Record<RankMarker['kind'], string> = {
  up: '기준 방법보다 위',
  down: '기준 방법보다 아래',
  new: '기준 방법의 결과에 없음',
  same: '기준 방법과 같은 순위',
};

function HitCard({ result, method, index, hit, marker, isCursor, isLinked, isRelevant, onHover, onOpen }: HitProps) {
  return (
    <button
      type="button"
      tabIndex={-1}
      className={`hit${isCursor ? ' cursor' : ''}${isLinked ? ' linked' : ''}${isRelevant ? ' relevant' : ''}`}
      data-method={method}
      data-relevant={isRelevant ? 'true' : undefined}
      data-index={index}
      data-doc={hit.docId}
      aria-current={isCursor ? 'true' : undefined}
      onMouseEnter={() => onHover(hit.docId)}
      onMouseLeave={() => onHover(null)}
      onClick={onOpen}
      style={{ borderLeft: `3px solid ${METHOD_COLOUR[method]}` }}
    >
      <div className="hit-top">
        <span className="hit-rank num">{hit.rank}</span>
        <span className="hit-title">{hit.title ?? hit.docId}</span>
        {isRelevant && (
          <span className="tag ok" title="정답(qrels)으로 판정된 문단">
            정답
          </span>
        )}
        {marker && (
          <span className={`marker ${marker.kind}`} title={MARKER_TITLE[marker.kind]} data-marker={markerLabel(marker)}>
            {markerLabel(marker)}
          </span>
        )}
      </div>
      <div className="hit-snippet">{snippet(hit)}</div>
      <div className="row" style={{ marginTop: 4, justifyContent: 'space-between' }}>
        <span className="hit-id mono">{hit.docId}</span>
        <span className="hit-score num">{formatScore(result, hit.score)}</span>
      </div>
    </button>
  );
}

const FILTER_LABEL: Record<QueryFilter, string> = {
  all: '전체',
  disagree: '방법 간 차이가 큰 순',
  'mvr-wins': 'MVR이 BM25보다 나은 질의',
  'mvr-loses': 'MVR이 BM25보다 못한 질의',
};

/**
 * The collection's own queries, one click to search. The filters that rank queries by how the methods did
 * read the newest saved evaluation's per-query nDCG; without one the list is only filtered by split.
 */
function QueryBrowser({ client, collection, queries, onPick }: { client: SaegimClient; collection: CollectionSummary; queries: QueryEntry[]; onPick(text: string): void }) {
  const [open, setOpen] = useState(false);
  const [split, setSplit] = useState('');
  const [filter, setFilter] = useState<QueryFilter>('all');
  const [report, setReport] = useState<EvaluationReport | null | undefined>(undefined);

  useEffect(() => {
    if (!open || report !== undefined) return;
    let live = true;
    client
      .listEvaluations({ collection: collection.name })
      .then((list) => {
        const newest = [...list].sort((a, b) => b.id - a.id)[0];
        return newest ? client.getEvaluation(newest.id) : null;
      })
      .then(
        (r) => live && setReport(r),
        () => live && setReport(null),
      );
    return () => {
      live = false;
    };
  }, [open, report, client, collection.name]);

  const rows = useMemo(() => {
    const inSplit = split ? queries.filter((q) => (q.relevant[split]?.length ?? 0) > 0) : queries;
    if (filter === 'all' || !report) return inSplit.map((q) => ({ q, note: null as string | null }));
    const metric = metricKey('ndcg', report.k);
    const per = new Map(report.perQuery.map((p) => [p.queryId, p.values]));
    const scored = inSplit.flatMap((q) => {
      const v = per.get(q.id);
      if (!v) return [];
      if (filter === 'disagree') {
        const d = disagreement(v, metric);
        return d > 0 ? [{ q, key: d, note: `차이 ${d.toFixed(2)}` }] : [];
      }
      const m = v.mvr?.[metric];
      const b = v.bm25?.[metric];
      if (m === undefined || b === undefined) return [];
      const diff = filter === 'mvr-wins' ? m - b : b - m;
      return diff > 1e-9 ? [{ q, key: diff, note: `MVR ${m.toFixed(2)} · BM25 ${b.toFixed(2)}` }] : [];
    });
    return scored.sort((x, y) => y.key - x.key).map(({ q, note }) => ({ q, note }));
  }, [queries, split, filter, report]);

  return (
    <details className="query-browser" open={open} onToggle={(e) => setOpen((e.target as HTMLDetailsElement).open)} data-testid="query-browser">
      <summary>컬렉션의 질의 {queries.length.toLocaleString('ko-KR')}개 둘러보기</summary>
      {open && (
        <>
          <div className="row small" style={{ gap: 12, margin: '8px 0' }}>
            <label className="row" style={{ gap: 6 }}>
              분할
              <select value={split} onChange={(e) => setSplit(e.target.value)} aria-label="질의 분할">
                <option value="">전체</option>
                {collection.splits.map((s) => (
                  <option key={s} value={s}>
                    {s} ({collection.splitCounts[s]?.queries ?? 0})
                  </option>
                ))}
              </select>
            </label>
            <label className="row" style={{ gap: 6 }}>
              보기
              <select value={filter} onChange={(e) => setFilter(e.target.value as QueryFilter)} aria-label="질의 필터" disabled={!report}>
                {(Object.keys(FILTER_LABEL) as QueryFilter[]).map((f) => (
                  <option key={f} value={f}>
                    {FILTER_LABEL[f]}
                  </option>
                ))}
              </select>
            </label>
            <span className="muted">
              {report === undefined
                ? '평가 결과를 찾는 중…'
                : report
                  ? `평가 #${report.id} (${report.split}, nDCG@${report.k}) 기준`
                  : '저장된 평가가 없어 목록만 보입니다 — 평가를 실행하면 방법별로 거를 수 있습니다'}
            </span>
            <span className="muted" style={{ marginLeft: 'auto' }} data-testid="query-count">
              {rows.length.toLocaleString('ko-KR')}개
            </span>
          </div>
          <ul className="query-list">
            {rows.slice(0, BROWSER_ROWS).map(({ q, note }) => (
              <li key={q.id}>
                <button type="button" className="linklike" onClick={() => onPick(q.text)} data-query-id={q.id} title="이 질의로 검색">
                  <span lang="ko">{q.text}</span>
                </button>
                <span className="small muted mono">{note ?? q.id}</span>
              </li>
            ))}
            {rows.length > BROWSER_ROWS && <li className="small muted">… 외 {(rows.length - BROWSER_ROWS).toLocaleString('ko-KR')}개</li>}
          </ul>
        </>
      )}
    </details>
  );
}
