import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { CollectionSummary, EngineInfo } from '../../main/contract/api.js';
import { asApiError, watchUnauthorized, type ApiError, type SaegimClient } from './api/client.js';
import { ErrorNotice, UnauthorizedNotice } from './components/ErrorNotice.js';
import { ProgressBar } from './components/ProgressBar.js';
import { readRoute, routeSearch, type Route } from './logic/route.js';
import { LangContext, message, storedLang, storeLang, type Lang } from './i18n.js';
import { AlignmentView, type AlignmentTarget } from './views/AlignmentView.js';
import { DatasetsView } from './views/DatasetsView.js';
import { EvaluateView } from './views/EvaluateView.js';
import { SearchView, type QueryRequest } from './views/SearchView.js';
import { SettingsView } from './views/SettingsView.js';

export type Tab = 'datasets' | 'search' | 'alignment' | 'evaluate' | 'settings';

const TABS: Array<{ id: Tab; ko: string; en: string }> = [
  { id: 'datasets', ko: '데이터셋', en: 'Datasets' },
  { id: 'search', ko: '검색', en: 'Search' },
  { id: 'alignment', ko: '토큰 정렬', en: 'Alignment' },
  { id: 'evaluate', ko: '평가', en: 'Evaluate' },
  { id: 'settings', ko: '설정', en: 'Settings' },
];

/** The first run imports and indexes the demo corpus in the background; poll while it works. */
const BOOTSTRAP_POLL_MS = 1500;
/** How often the page checks that the server is still there (browser mode: it can be stopped under the page). */
const HEALTH_POLL_MS = 3000;

/** A call that never reached the server, as opposed to one the server refused. */
function unreachable(err: ApiError): boolean {
  return err.code === 'internal' && err.message.startsWith('cannot reach');
}

export function App({ client: given }: { client: SaegimClient }) {
  const [unauthorized, setUnauthorized] = useState(false);
  const initialRoute = useRef(readRoute(window.location.search));
  const [tab, setTab] = useState<Tab>(initialRoute.current.view ?? 'search');
  const [searched, setSearched] = useState<string | null>(null);
  const [info, setInfo] = useState<EngineInfo | null>(null);
  const [collections, setCollections] = useState<CollectionSummary[] | null>(null);
  const [active, setActive] = useState<string | null>(null);
  const [target, setTarget] = useState<AlignmentTarget | null>(null);
  const [queryRequest, setQueryRequest] = useState<QueryRequest | null>(null);
  const [loadError, setLoadError] = useState<ApiError | null>(null);
  const [offline, setOffline] = useState(false);
  const [lang, setLang] = useState<Lang>(storedLang);
  useEffect(() => {
    document.documentElement.lang = lang;
    storeLang(lang);
  }, [lang]);
  const tr = (key: Parameters<typeof message>[0]) => message(key, lang);
  const offlineRef = useRef(false);
  // Without the token nothing can be refreshed: what was shown is dropped rather than left looking current.
  const client = useMemo(
    () =>
      watchUnauthorized(given, () => {
        setUnauthorized(true);
        setInfo(null);
        setCollections(null);
        setActive(null);
        setTarget(null);
      }),
    [given],
  );

  const refresh = useCallback(async () => {
    try {
      const [i, c] = await Promise.all([client.info(), client.listCollections()]);
      setInfo(i);
      setCollections(c);
      setLoadError(null);
      const linked = initialRoute.current.collection;
      setActive((current) =>
        current && c.some((x) => x.name === current)
          ? current
          : linked && c.some((x) => x.name === linked)
            ? linked
            : (c.find((x) => x.indexed > 0)?.name ?? c[0]?.name ?? null),
      );
    } catch (err) {
      setLoadError(asApiError(err));
    }
  }, [client]);

  useEffect(() => {
    void refresh();
  }, [refresh]);

  useEffect(() => {
    if (unauthorized) return;
    const timer = setInterval(() => {
      // Only reachability: a fresh info object every few seconds would reset the views that show it.
      client.info().then(
        () => {
          if (!offlineRef.current) return;
          offlineRef.current = false;
          setOffline(false);
          void refresh();
        },
        (err: unknown) => {
          if (!unreachable(asApiError(err))) return;
          offlineRef.current = true;
          setOffline(true);
        },
      );
    }, HEALTH_POLL_MS);
    return () => clearInterval(timer);
  }, [client, unauthorized, refresh]);

  const bootstrapping = info?.bootstrap?.state === 'running';
  useEffect(() => {
    if (!bootstrapping) return;
    const timer = setInterval(() => void refresh(), BOOTSTRAP_POLL_MS);
    return () => clearInterval(timer);
  }, [bootstrapping, refresh]);

  const collection = collections?.find((c) => c.name === active) ?? null;

  const openAlignment = (t: AlignmentTarget) => {
    setTarget(t);
    setTab('alignment');
  };

  const openQuery = (text: string) => {
    setQueryRequest({ text, nonce: Date.now() });
    setTab('search');
  };

  // A bookmarked address is applied once the collections are known; until then the address is left alone.
  const [routed, setRouted] = useState(false);
  const applyRoute = useCallback((r: Partial<Route>, collectionName: string | null, setView: boolean) => {
    // The opening view came from the address already; setting it again would undo a tab clicked meanwhile.
    if (setView) setTab(r.view ?? 'search');
    if (r.collection) setActive(r.collection);
    const c = r.collection ?? collectionName;
    if (r.query && c) {
      setQueryRequest((cur) => (cur?.text === r.query ? cur : { text: r.query!, nonce: Date.now() }));
      if (r.view === 'alignment' && r.doc) {
        const queryScoring = r.queryScoring ?? 'model';
        setTarget((cur) =>
          cur && cur.docId === r.doc && cur.query === r.query && cur.collection === c
            ? (cur.queryScoring ?? 'model') === queryScoring
              ? cur
              : { ...cur, queryScoring }
            : { collection: c, query: r.query!, docId: r.doc!, skipPunctuation: false, queryScoring, ranks: {}, from: 'mvr' },
        );
      }
    }
  }, []);
  useEffect(() => {
    if (routed || !collections) return;
    const r = initialRoute.current;
    const c = r.collection && collections.some((x) => x.name === r.collection) ? r.collection : active;
    applyRoute({ ...r, collection: c }, c, false);
    setRouted(true);
  }, [routed, collections, active, applyRoute]);

  const route: Route = {
    view: tab,
    collection: active,
    query: tab === 'alignment' ? (target?.query ?? null) : searched,
    doc: tab === 'alignment' ? (target?.docId ?? null) : null,
    queryScoring: tab === 'alignment' ? (target?.queryScoring ?? null) : null,
  };
  const search = routeSearch(route);
  const lastView = useRef<{ view: Tab; doc: string | null }>({ view: tab, doc: null });
  useEffect(() => {
    if (!routed) return;
    if (search !== window.location.search) {
      // A new view or passage is a step Back can undo; a new query or collection in the same view replaces the entry.
      const step = lastView.current.view !== route.view || lastView.current.doc !== route.doc;
      const url = `${window.location.pathname}${search}${window.location.hash}`;
      if (step) window.history.pushState(null, '', url);
      else window.history.replaceState(null, '', url);
    }
    lastView.current = { view: route.view, doc: route.doc };
  }, [routed, search]); // eslint-disable-line react-hooks/exhaustive-deps

  useEffect(() => {
    const onPop = () => {
      const r = readRoute(window.location.search);
      lastView.current = { view: r.view ?? 'search', doc: r.doc ?? null };
      applyRoute(r, active, true);
    };
    window.addEventListener('popstate', onPop);
    return () => window.removeEventListener('popstate', onPop);
  }, [applyRoute, active]);

  useEffect(() => {
    if (tab !== 'alignment') return;
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== 'Escape' || e.defaultPrevented) return;
      const el = e.target as HTMLElement | null;
      if (el && (el.tagName === 'INPUT' || el.tagName === 'SELECT' || el.tagName === 'TEXTAREA')) return;
      setTab('search');
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [tab]);

  return (
    <LangContext.Provider value={lang}>
    <div className="app">
      <header className="topbar">
        <div className="brand">
          <span className="brand-mark">새김</span>
          <span className="brand-sub">SAEGIM</span>
        </div>
        <nav className="tabs" role="tablist" aria-label="보기">
          {TABS.map((t) => (
            <button
              key={t.id}
              type="button"
              role="tab"
              className="tab"
              aria-selected={tab === t.id}
              aria-controls={`view-${t.id}`}
              data-tab={t.id}
              onClick={() => setTab(t.id)}
            >
              {lang === 'en' ? t.en : t.ko}
              <span className="en">{lang === 'en' ? t.ko : t.en}</span>
            </button>
          ))}
        </nav>
        <div className="topbar-right">
          <label className="row small" style={{ gap: 6 }}>
            <span className="muted">{tr('collection')}</span>
            <select
              aria-label="컬렉션 선택"
              value={active ?? ''}
              onChange={(e) => setActive(e.target.value || null)}
              disabled={!collections || collections.length === 0}
            >
              {(collections ?? []).map((c) => (
                <option key={c.name} value={c.name}>
                  {c.name}
                  {c.indexed < c.passages ? ` (인덱스 ${c.indexed}/${c.passages})` : ''}
                </option>
              ))}
              {collections?.length === 0 && <option value="">{tr('collection.none')}</option>}
            </select>
          </label>
          <button type="button" className="btn small" onClick={() => setLang(lang === 'ko' ? 'en' : 'ko')} data-testid="lang-switch" lang={lang === 'ko' ? 'en' : 'ko'}>
            {tr('lang.switch')}
          </button>
        </div>
      </header>

      <main className="content">
        {unauthorized && (
          <div className="banner">
            <UnauthorizedNotice />
          </div>
        )}
        {offline && !unauthorized && (
          <div className="notice error banner" role="alert" data-testid="offline">
            <strong>{tr('offline.title')}</strong> {tr('offline.body')}
          </div>
        )}
        {loadError && !unauthorized && !offline && (
          <div className="banner">
            <ErrorNotice error={loadError} />
          </div>
        )}
        {info?.bootstrap && info.bootstrap.state !== 'done' && (
          <div className={`notice ${info.bootstrap.state === 'failed' ? 'error' : 'info'} banner`} data-testid="bootstrap">
            {info.bootstrap.state === 'running' ? (
              <>
                <p style={{ marginBottom: 6 }}>
                  <strong>처음 실행 준비 중</strong> — 데모 컬렉션 <b>{info.bootstrap.collection}</b>을(를) 가져와 인덱싱하고 있습니다. 끝나면 바로 검색할 수 있습니다.
                </p>
                <ProgressBar progress={info.bootstrap.progress} label="데모 컬렉션 준비" />
              </>
            ) : (
              <p>
                <strong>데모 컬렉션을 준비하지 못했습니다.</strong> {info.bootstrap.error}
              </p>
            )}
          </div>
        )}

        {!unauthorized && (
          <div hidden={offline}>
            <section id="view-datasets" role="tabpanel" hidden={tab !== 'datasets'}>
              <DatasetsView client={client} collections={collections} active={active} onSelect={setActive} onChanged={refresh} />
            </section>
            <section id="view-search" role="tabpanel" hidden={tab !== 'search'}>
              <SearchView client={client} collection={collection} request={queryRequest} visible={tab === 'search'} onOpen={openAlignment} onSearched={setSearched} />
            </section>
            <section id="view-alignment" role="tabpanel" hidden={tab !== 'alignment'}>
              <AlignmentView
                client={client}
                target={target}
                visible={tab === 'alignment'}
                onBack={() => setTab('search')}
                onScoringChange={(queryScoring) => setTarget((cur) => (cur ? { ...cur, queryScoring } : cur))}
                modelName={info?.model?.name ?? null}
              />
            </section>
            <section id="view-evaluate" role="tabpanel" hidden={tab !== 'evaluate'}>
              <EvaluateView client={client} collection={collection} onOpenQuery={openQuery} />
            </section>
            <section id="view-settings" role="tabpanel" hidden={tab !== 'settings'}>
              <SettingsView client={client} info={info} onChanged={refresh} />
            </section>
          </div>
        )}
      </main>

      <footer className="statusbar">
        <span>
          {info
            ? `${tr('status.model')}: ${info.model ? `${info.model.name} (${info.model.dim}${tr('status.dims')})` : tr('status.none')}`
            : unauthorized
              ? tr('status.noToken')
              : tr('status.connecting')}
        </span>
        {info && (
          <span>
            {tr('status.run')}: {info.activeExecutionProvider.toUpperCase()}
          </span>
        )}
        <span className="spacer" />
        <span>{client.transport === 'electron' ? tr('status.desktop') : tr('status.browser')}</span>
        {info && <span>v{info.version}</span>}
      </footer>
    </div>
    </LangContext.Provider>
  );
}
