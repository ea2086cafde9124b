import { useEffect, useState } from 'react';
import type { EngineInfo, ModelValidation, Settings } from '../../../main/contract/api.js';
import type { ExecutionProvider, VectorPrecision } from '../../../main/contract/types.js';
import { asApiError, type ApiError, type SaegimClient } from '../api/client.js';
import { ErrorNotice } from '../components/ErrorNotice.js';

interface Props {
  client: SaegimClient;
  info: EngineInfo | null;
  onChanged(): Promise<void> | void;
}

export function SettingsView({ client, info, onChanged }: Props) {
  const [draft, setDraft] = useState<Settings | null>(null);
  const [validation, setValidation] = useState<ModelValidation | null>(null);
  const [checking, setChecking] = useState(false);
  const [saving, setSaving] = useState(false);
  const [saved, setSaved] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);

  useEffect(() => {
    if (info && !draft) setDraft({ ...info.settings });
  }, [info, draft]);

  if (!info || !draft) return <p className="empty">설정을 불러오는 중…</p>;

  const providers = info.executionProviders;
  const update = (patch: Partial<Settings>) => {
    setDraft({ ...draft, ...patch });
    setSaved(false);
  };

  const check = async () => {
    if (!draft.modelDir) return;
    setChecking(true);
    setValidation(null);
    try {
      setValidation(await client.validateModel(draft.modelDir));
    } catch (err) {
      setError(asApiError(err));
    } finally {
      setChecking(false);
    }
  };

  const save = async () => {
    setSaving(true);
    setError(null);
    try {
      const patch: Partial<Settings> = {};
      if (draft.modelDir !== info.settings.modelDir) patch.modelDir = draft.modelDir;
      if (draft.executionProvider !== info.settings.executionProvider) patch.executionProvider = draft.executionProvider;
      if (draft.threads !== info.settings.threads) patch.threads = draft.threads;
      if (draft.precision !== info.settings.precision) patch.precision = draft.precision;
      const next = await client.updateSettings(patch);
      setDraft({ ...next });
      setSaved(true);
      await onChanged();
    } catch (err) {
      setError(asApiError(err));
    } finally {
      setSaving(false);
    }
  };

  const dirty =
    draft.modelDir !== info.settings.modelDir ||
    draft.executionProvider !== info.settings.executionProvider ||
    draft.threads !== info.settings.threads ||
    draft.precision !== info.settings.precision;

  return (
    <div className="stack">
      <div className="panel">
        <div className="panel-head">
          <h2>엔진</h2>
        </div>
        <dl className="facts">
          <dt>버전</dt>
          <dd>{info.version}</dd>
          <dt>데이터베이스</dt>
          <dd className="mono">{info.dbPath}</dd>
          <dt>연결</dt>
          <dd>{client.transport === 'electron' ? '데스크톱 앱 (IPC)' : '브라우저 모드 (HTTP, 127.0.0.1)'}</dd>
          <dt>현재 모델</dt>
          <dd>
            {info.model ? (
              <>
                <b>{info.model.name}</b> · {info.model.dim}차원 · 최대 {info.model.maxLength} 토큰
                {info.model.architecture && ` · ${info.model.architecture}`}
                <div className="small muted mono">{info.model.fingerprint}</div>
              </>
            ) : (
              <span className="muted">없음 — {info.modelProblem}</span>
            )}
          </dd>
          <dt>실행 중인 공급자</dt>
          <dd>{info.activeExecutionProvider.toUpperCase()}</dd>
        </dl>
      </div>

      <div className="panel">
        <div className="panel-head">
          <h2>설정</h2>
        </div>
        <div className="settings-grid">
          <span className="label">모델 폴더</span>
          <div>
            <div className="row" style={{ flexWrap: 'nowrap' }}>
              <input
                type="text"
                style={{ flex: 1 }}
                value={draft.modelDir ?? ''}
                onChange={(e) => {
                  update({ modelDir: e.target.value || null });
                  setValidation(null);
                }}
                placeholder="model.onnx, tokenizer.json, encoder.json이 있는 폴더"
                aria-label="모델 폴더"
                spellCheck={false}
              />
              {client.pickPath && (
                <button
                  type="button"
                  className="btn"
                  onClick={async () => {
                    const dir = await client.pickPath!('folder');
                    if (dir) {
                      update({ modelDir: dir });
                      setValidation(null);
                    }
                  }}
                >
                  폴더…
                </button>
              )}
              <button type="button" className="btn" onClick={() => void check()} disabled={!draft.modelDir || checking}>
                {checking ? '검사 중…' : '검사'}
              </button>
            </div>
            {validation && (
              <div className={`notice ${validation.ok ? 'ok' : 'error'} small`} style={{ marginTop: 8 }} data-testid="model-validation">
                {validation.ok && validation.model ? (
                  <>
                    사용할 수 있습니다: <b>{validation.model.name}</b> · {validation.model.dim}차원 · 최대 {validation.model.maxLength} 토큰
                  </>
                ) : (
                  <>사용할 수 없습니다: {validation.error}</>
                )}
              </div>
            )}
          </div>

          <span className="label">실행 공급자</span>
          <div className="row">
            {(['cpu', 'cuda'] as ExecutionProvider[]).map((p) => (
              <label key={p} className="check" style={{ opacity: providers.includes(p) ? 1 : 0.5 }}>
                <input
                  type="radio"
                  name="execution-provider"
                  checked={draft.executionProvider === p}
                  disabled={!providers.includes(p)}
                  onChange={() => update({ executionProvider: p })}
                />
                {p.toUpperCase()}
              </label>
            ))}
            {!providers.includes('cuda') && <span className="small muted">CUDA 공급자가 설치되어 있지 않습니다 (NVIDIA GPU에서 `npm run cuda`).</span>}
          </div>

          <span className="label">스레드</span>
          <div className="row">
            <input
              type="number"
              min={0}
              max={256}
              value={draft.threads}
              onChange={(e) => update({ threads: Math.max(0, Math.min(256, Math.round(Number(e.target.value) || 0))) })}
              aria-label="스레드"
            />
            <span className="small muted">0 = CPU 코어 수만큼 자동</span>
          </div>

          <span className="label">벡터 정밀도</span>
          <div className="row">
            <select value={draft.precision} onChange={(e) => update({ precision: e.target.value as VectorPrecision })} aria-label="벡터 정밀도">
              <option value="fp16">fp16 (절반 크기, 기본값)</option>
              <option value="fp32">fp32</option>
            </select>
            <span className="small muted">새로 만드는 인덱스에 적용됩니다.</span>
          </div>

          <span />
          <div className="row">
            <button type="button" className="btn primary" onClick={() => void save()} disabled={!dirty || saving}>
              {saving ? '저장 중…' : '저장'}
            </button>
            {saved && !dirty && <span className="small" style={{ color: 'var(--ok)' }}>저장했습니다.</span>}
          </div>
        </div>
        {error && (
          <div style={{ marginTop: 12 }}>
            <ErrorNotice error={error} />
          </div>
        )}
      </div>
    </div>
  );
}
