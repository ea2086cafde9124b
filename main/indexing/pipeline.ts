import type { EncodedText } from '../contract/types.js';
import type { TokenEncoder } from '../encoders/onnx-encoder.js';
import { indexedText } from '../search/passage-text.js';
import type { SaegimStore, StoredPassage } from '../store/store.js';

export interface EncodedChunk {
  chunk: StoredPassage[];
  outputs: EncodedText[];
}

/**
 * Passages without vectors, `chunkSize` at a time in ord order, each with its encoding, keeping `ahead`
 * chunks being encoded while the caller writes the one it was given: with the model in a worker thread
 * (encoders/inference-pool.ts), tokenizing the next chunk, copying out vectors and the SQLite write of
 * the last one happen while the model runs. Chunks come out in order, so a caller that commits each one
 * before asking for the next leaves, when killed, whole chunks and a resumable gap after them.
 */
export async function* encodedChunks(
  store: SaegimStore,
  collectionId: number,
  encoder: TokenEncoder,
  opts: { chunkSize: number; ahead?: number; signal?: AbortSignal },
): AsyncGenerator<EncodedChunk> {
  const page = store.db.prepare(
    `SELECT d.ord, d.doc_id AS id, d.title, d.text FROM documents d
     LEFT JOIN doc_vectors v ON v.collection_id = d.collection_id AND v.ord = d.ord
     WHERE d.collection_id = ? AND v.ord IS NULL AND d.ord > ? ORDER BY d.ord LIMIT ?`,
  );
  let after = -1;
  const read = (): StoredPassage[] => {
    const rows = page.all(collectionId, after, opts.chunkSize) as Array<StoredPassage & { title: string | null }>;
    if (rows.length > 0) after = rows[rows.length - 1]!.ord;
    return rows.map((r) => (r.title === null ? { ord: r.ord, id: r.id, text: r.text } : r) as StoredPassage);
  };
  const queue: Array<{ chunk: StoredPassage[]; outputs: Promise<EncodedText[]> }> = [];
  const fill = () => {
    while (queue.length < Math.max(1, opts.ahead ?? 2)) {
      const chunk = read();
      if (chunk.length === 0) return;
      const outputs = encoder.encodeDocuments(chunk.map(indexedText), { signal: opts.signal });
      // A chunk still encoding when the caller stops (cancel, write failure) must not become an unhandled rejection.
      outputs.catch(() => {});
      queue.push({ chunk, outputs });
    }
  };
  fill();
  while (queue.length > 0) {
    const head = queue.shift()!;
    const outputs = await head.outputs;
    fill();
    yield { chunk: head.chunk, outputs };
  }
}

/** `3m 20s`, `45s`, `2h 05m`: an ETA to read at a glance. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}
