import { createWriteStream, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { mulberry32 } from '../eval/significance.js';
import { bundledDatasetDir, packageRoot } from '../paths.js';

/**
 * Sentences of real Korean text to build benchmark passages from: the demo corpus (encyclopedic prose),
 * and, where the checkout sits beside `shared/corpora/ko`, KorSTS, KLUE, KorNLI and StrategyQA-ko sentences
 * (news, captions, forums, facts) and NSMC movie reviews (informal prose, 650k lines), which give the
 * vocabulary the long tail a million passages have. Recombining real sentences keeps bigram statistics and
 * tokenizer behaviour realistic, which random syllables would not.
 */
export interface SentencePool {
  /** Formal prose: encyclopedic, news and fact sentences. */
  formal: string[];
  /** Informal prose (reviews). */
  informal: string[];
  titles: string[];
  sources: string[];
}

const SENTENCE_END = /(?<=[.?!])\s+/u;

function sharedCorporaDir(): string | null {
  const dir = join(packageRoot(), '..', 'shared', 'corpora', 'ko');
  return existsSync(dir) ? dir : null;
}

function splitSentences(text: string): string[] {
  return text
    .split(SENTENCE_END)
    .map((s) => s.trim())
    .filter((s) => s.length >= 8);
}

function tsvColumns(file: string, columns: number[]): string[] {
  const out: string[] = [];
  readFileSync(file, 'utf8')
    .split('\n')
    .slice(1)
    .forEach((row) => {
      const cols = row.split('\t');
      for (const c of columns) if (cols[c]) out.push(cols[c]!.trim());
    });
  return out;
}

export function loadSentencePool(): SentencePool {
  const formal = new Set<string>();
  const informal = new Set<string>();
  const titles: string[] = [];
  const sources: string[] = [];
  const demo = join(bundledDatasetDir(), 'corpus.jsonl');
  if (existsSync(demo)) {
    sources.push('assets/datasets/demo-ko/corpus.jsonl');
    for (const line of readFileSync(demo, 'utf8').split('\n')) {
      if (!line.trim()) continue;
      const row = JSON.parse(line) as { title?: string; text: string };
      if (row.title) titles.push(row.title);
      for (const s of splitSentences(row.text)) formal.add(s);
    }
  }
  const shared = sharedCorporaDir();
  if (shared) {
    const add = (name: string, sentences: Iterable<string>, into: Set<string>) => {
      const file = join(shared, name);
      if (!existsSync(file)) return;
      sources.push(`shared/corpora/ko/${name}`);
      for (const s of sentences) if (s.length >= 8) into.add(s);
    };
    for (const name of ['korsts-train.tsv', 'korsts-dev.tsv', 'korsts-test.tsv']) {
      if (existsSync(join(shared, name))) add(name, tsvColumns(join(shared, name), [5, 6]), formal);
    }
    for (const name of ['kornli-xnli-dev.tsv', 'kornli-xnli-test.tsv']) {
      if (existsSync(join(shared, name))) add(name, tsvColumns(join(shared, name), [0, 1]), formal);
    }
    for (const name of ['klue-nli-dev.json']) {
      const file = join(shared, name);
      if (existsSync(file)) {
        const rows = JSON.parse(readFileSync(file, 'utf8')) as Array<{ premise?: string; hypothesis?: string }>;
        add(name, rows.flatMap((r) => [r.premise ?? '', r.hypothesis ?? '']), formal);
      }
    }
    const strategy = join(shared, 'strategyqa-ko-train.jsonl');
    if (existsSync(strategy)) {
      const facts = readFileSync(strategy, 'utf8')
        .split('\n')
        .filter(Boolean)
        .flatMap((l) => ((JSON.parse(l) as { positive?: string }).positive ?? '').split('\n'))
        .map((f) => f.replace(/^사실\s*\d+\s*:\s*/u, '').trim());
      add('strategyqa-ko-train.jsonl', facts, formal);
    }
    const reviews = join(shared, 'nsmc-reviews.txt.gz');
    if (existsSync(reviews)) add('nsmc-reviews.txt.gz', gunzipSync(readFileSync(reviews)).toString('utf8').split('\n'), informal);
  }
  if (formal.size === 0) formal.add('서울은 대한민국의 수도이며 한강이 도시를 가로질러 흐른다.');
  if (titles.length === 0) titles.push('대한민국');
  return { formal: [...formal], informal: [...informal], titles, sources };
}

export interface GeneratedCorpus {
  dir: string;
  passages: number;
  queries: number;
  bytes: number;
  characters: number;
  sources: string[];
}

/**
 * A BEIR folder of `passages` generated passages (corpus.jsonl with MIRACL-style `article#n` ids and
 * article titles, queries.jsonl, qrels/test.tsv): each passage is real sentences drawn at random, formal
 * and informal alike, until it reaches a length drawn from a log-normal around 160 characters, which the bundled
 * model's WordPiece cuts into about 100 tokens (as Mr.TyDi-ko and MIRACL-ko passages average). Seeded, so one N always yields the same files.
 */
export async function writeKoreanBeirCorpus(dir: string, passages: number, opts: { seed?: number; queries?: number; pool?: SentencePool } = {}): Promise<GeneratedCorpus> {
  const pool = opts.pool ?? loadSentencePool();
  const random = mulberry32(opts.seed ?? 20240601);
  mkdirSync(join(dir, 'qrels'), { recursive: true });
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
  const gaussian = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const queryCount = opts.queries ?? Math.min(2000, Math.max(50, Math.round(passages / 500)));
  const queryEvery = Math.max(1, Math.floor(passages / queryCount));
  const queries: Array<{ id: string; text: string; doc: string }> = [];
  const corpus = createWriteStream(join(dir, 'corpus.jsonl'));
  let bytes = 0;
  let characters = 0;
  let title = pick(pool.titles);
  let failed: Error | null = null;
  corpus.on('error', (err) => (failed = err));
  const write = async (line: string) => {
    bytes += Buffer.byteLength(line);
    if (!corpus.write(line)) await new Promise<void>((resolve) => corpus.once('drain', resolve));
    if (failed) throw failed;
  };
  let buffered = '';
  for (let i = 0; i < passages; i++) {
    const article = Math.floor(i / 8);
    if (i % 8 === 0) title = `${pick(pool.titles)}${article >= pool.titles.length ? ` ${article}` : ''}`;
    const target = Math.min(1500, Math.max(40, Math.round(160 * Math.exp(0.4 * gaussian()))));
    const sentences: string[] = [];
    let length = 0;
    const informal = pool.informal.length > 0 && random() < 0.5;
    while (length < target) {
      const s = informal && random() < 0.8 ? pick(pool.informal) : pick(pool.formal);
      sentences.push(s);
      length += s.length + 1;
    }
    const text = sentences.join(' ');
    const id = `${article}#${i % 8}`;
    characters += text.length;
    buffered += `${JSON.stringify({ _id: id, title, text })}\n`;
    if (i % queryEvery === 0 && queries.length < queryCount) {
      // A question-like query from one sentence of the passage: its first words, re-ended.
      const words = pick(sentences).split(/\s+/).slice(0, 3 + Math.floor(random() * 5));
      queries.push({ id: `q${queries.length}`, text: `${words.join(' ').replace(/[.?!~]+$/u, '')}?`, doc: id });
    }
    if (buffered.length >= 1 << 20) {
      await write(buffered);
      buffered = '';
    }
  }
  if (buffered) await write(buffered);
  await new Promise<void>((resolve, reject) => corpus.end((err?: Error | null) => (err ? reject(err) : resolve())));
  writeFileSync(join(dir, 'queries.jsonl'), queries.map((q) => JSON.stringify({ _id: q.id, text: q.text })).join('\n') + '\n');
  writeFileSync(join(dir, 'qrels', 'test.tsv'), `query-id\tcorpus-id\tscore\n${queries.map((q) => `${q.id}\t${q.doc}\t1`).join('\n')}\n`);
  return { dir, passages, queries: queries.length, bytes, characters, sources: pool.sources };
}
