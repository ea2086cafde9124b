import type { ImportIssue } from '../../../main/contract/types.js';
import type { ApiError } from '../api/client.js';
import { errorTitle, useLang } from '../i18n.js';

function importIssues(details: unknown): ImportIssue[] {
  if (!Array.isArray(details)) return [];
  return details.filter(
    (d): d is ImportIssue => !!d && typeof d === 'object' && typeof (d as ImportIssue).file === 'string' && typeof (d as ImportIssue).reason === 'string',
  );
}

export function IssueTable({ issues, caption }: { issues: ImportIssue[]; caption?: string }) {
  return (
    <div className="issues">
      <table className="grid" aria-label={caption ?? '문제 목록'}>
        <thead>
          <tr>
            <th>파일</th>
            <th className="num">줄</th>
            <th>필드</th>
            <th>이유</th>
          </tr>
        </thead>
        <tbody>
          {issues.map((i, n) => (
            <tr key={n}>
              <td className="mono">{i.file}</td>
              <td className="num mono">{i.line > 0 ? i.line : '—'}</td>
              <td className="mono">{i.field ?? ''}</td>
              <td>{i.reason}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

const TITLES: Partial<Record<ApiError['code'], string>> = {
  'bad-input': '입력을 확인하세요',
  unauthorized: '접근 토큰이 필요합니다',
  'import-failed': '가져오기에 실패했습니다',
  'not-found': '찾을 수 없습니다',
  duplicate: '이미 있습니다',
  'model-missing': '모델이 없습니다',
  'model-invalid': '모델 폴더가 올바르지 않습니다',
  'model-mismatch': '모델이 맞지 않습니다',
  cancelled: '취소되었습니다',
  internal: '오류가 발생했습니다',
};

/** Browser mode opened without the token `saegim serve` printed: what to do, in Korean and English. */
export function UnauthorizedNotice() {
  return (
    <div className="notice error" role="alert" data-code="unauthorized" data-testid="unauthorized">
      <strong>이 주소에는 {TITLES.unauthorized}</strong>
      <p>
        <span className="mono">saegim serve</span>가 출력한 URL(<span className="mono">…/?token=…</span>)로 여세요.
      </p>
      <p className="small" lang="en">
        This address needs an access token: open the URL that <span className="mono">saegim serve</span> printed (<span className="mono">…/?token=…</span>).
      </p>
    </div>
  );
}

/** An API error with its import issues (file, line, field, reason) laid out as a table. */
export function ErrorNotice({ error }: { error: ApiError }) {
  const lang = useLang();
  if (error.code === 'unauthorized') return <UnauthorizedNotice />;
  const issues = importIssues(error.details);
  const tone = error.code === 'cancelled' ? 'warn' : 'error';
  return (
    <div className={`notice ${tone}`} role="alert" data-code={error.code}>
      <strong>{lang === 'en' ? errorTitle(error.code, 'en') : (TITLES[error.code] ?? '오류')}</strong>
      {issues.length === 0 ? <p className="small" style={{ whiteSpace: 'pre-wrap' }}>{error.message}</p> : <IssueTable issues={issues} caption="가져오기 오류" />}
    </div>
  );
}
