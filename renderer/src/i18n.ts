import { createContext, useContext } from 'react';
import type { ErrorCode } from '../../main/contract/errors.js';

/**
 * The UI's two languages. Korean is the default (the app is for Korean retrieval, and its users read
 * Korean); English covers the main labels and the engine's error codes, for collaborators who do not.
 */
export type Lang = 'ko' | 'en';

const MESSAGES = {
  'tab.datasets': { ko: '데이터셋', en: 'Datasets' },
  'tab.search': { ko: '검색', en: 'Search' },
  'tab.alignment': { ko: '토큰 정렬', en: 'Alignment' },
  'tab.evaluate': { ko: '평가', en: 'Evaluate' },
  'tab.settings': { ko: '설정', en: 'Settings' },
  collection: { ko: '컬렉션', en: 'Collection' },
  'collection.none': { ko: '컬렉션 없음', en: 'No collections' },
  'status.model': { ko: '모델', en: 'Model' },
  'status.none': { ko: '없음', en: 'none' },
  'status.dims': { ko: '차원', en: ' dims' },
  'status.run': { ko: '실행', en: 'Runs on' },
  'status.connecting': { ko: '엔진에 연결하는 중…', en: 'Connecting to the engine…' },
  'status.noToken': { ko: '접근 토큰 없음', en: 'No access token' },
  'status.desktop': { ko: '데스크톱', en: 'Desktop' },
  'status.browser': { ko: '브라우저 모드 · 127.0.0.1', en: 'Browser mode · 127.0.0.1' },
  'offline.title': { ko: '서버에 연결할 수 없습니다.', en: 'The server cannot be reached.' },
  'offline.body': {
    ko: 'Saegim 서버가 멈췄거나 연결이 끊겼습니다. 다시 연결되면 화면이 돌아옵니다 — 그 전까지는 이전 결과를 보여 주지 않습니다.',
    en: 'The Saegim server stopped or the connection dropped. The views come back once it answers again; until then no stale results are shown.',
  },
  'lang.switch': { ko: 'English', en: '한국어' },
} as const satisfies Record<string, Record<Lang, string>>;

export type MessageKey = keyof typeof MESSAGES;

const ERROR_TITLES: Record<ErrorCode, Record<Lang, string>> = {
  'bad-input': { ko: '입력을 확인하세요', en: 'Check the input' },
  unauthorized: { ko: '접근 토큰이 필요합니다', en: 'An access token is needed' },
  'import-failed': { ko: '가져오기에 실패했습니다', en: 'Import failed' },
  'not-found': { ko: '찾을 수 없습니다', en: 'Not found' },
  duplicate: { ko: '이미 있습니다', en: 'Already exists' },
  busy: { ko: '엔진이 다른 작업 중입니다', en: 'The engine is busy' },
  'model-missing': { ko: '모델이 없습니다', en: 'No model' },
  'model-invalid': { ko: '모델 폴더가 올바르지 않습니다', en: 'Invalid model folder' },
  'model-mismatch': { ko: '모델이 맞지 않습니다', en: 'Model mismatch' },
  cancelled: { ko: '취소되었습니다', en: 'Cancelled' },
  internal: { ko: '오류가 발생했습니다', en: 'Something went wrong' },
};

export function message(key: MessageKey, lang: Lang): string {
  return MESSAGES[key][lang];
}

export function errorTitle(code: ErrorCode, lang: Lang): string {
  return ERROR_TITLES[code]?.[lang] ?? (lang === 'en' ? 'Error' : '오류');
}

export const LangContext = createContext<Lang>('ko');

export function useLang(): Lang {
  return useContext(LangContext);
}

const STORAGE_KEY = 'saegim-lang';

export function storedLang(): Lang {
  try {
    return localStorage.getItem(STORAGE_KEY) === 'en' ? 'en' : 'ko';
  } catch {
    return 'ko';
  }
}

export function storeLang(lang: Lang): void {
  try {
    localStorage.setItem(STORAGE_KEY, lang);
  } catch {
    // A sandboxed page without storage keeps the choice for this visit only.
  }
}
