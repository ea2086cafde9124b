import { createHash } from 'node:crypto';
import { closeSync, openSync, readFileSync, readSync, readdirSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import * as ort from 'onnxruntime-node';
import type { OperationControl } from '../contract/api.js';
import { SaegimError, throwIfAborted } from '../contract/errors.js';
import type { EncodedText, ExecutionProvider, TokenSpans } from '../contract/types.js';
import { MODEL_FILES, outputDim, readManifest, type EncoderManifest } from './manifest.js';
import { InferencePool } from './inference-pool.js';
import { availableExecutionProviders, sessionProviders } from './providers.js';
import { TextTokenizer, type TokenizedText } from './tokenizer.js';

export interface EncoderOptions {
  executionProvider?: ExecutionProvider;
  /** onnxruntime intra-op threads per session (0 or absent: onnxruntime's default). */
  threads?: number;
  /**
   * Sessions in worker threads (encoders/inference-pool.ts); 0 runs the model on the calling thread.
   * Used only where the compiled worker exists (not under a TypeScript test runner).
   */
  workers?: number;
}

/** Where the model runs: a session on this thread, or a pool of worker threads. */
interface ModelRunner {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  /** Batches worth keeping in flight. */
  readonly concurrency: number;
  run(feeds: Record<string, { data: BigInt64Array; dims: number[] }>, outputs: readonly string[]): Promise<Record<string, { data: Float32Array; dims: readonly number[] }>>;
  close(): Promise<void>;
}

function sessionRunner(session: ort.InferenceSession): ModelRunner {
  return {
    inputNames: session.inputNames,
    outputNames: session.outputNames,
    concurrency: 1,
    async run(feeds, outputs) {
      const tensors: Record<string, ort.Tensor> = {};
      for (const [name, feed] of Object.entries(feeds)) tensors[name] = new ort.Tensor('int64', feed.data, feed.dims);
      const fetched = await session.run(tensors, [...outputs]);
      const out: Record<string, { data: Float32Array; dims: readonly number[] }> = {};
      for (const name of outputs) {
        const tensor = fetched[name]!;
        out[name] = { data: tensor.type === 'float32' ? (tensor.data as Float32Array) : Float32Array.from(tensor.data as ArrayLike<number>), dims: tensor.dims };
      }
      return out;
    },
    close: () => session.release(),
  };
}

function poolRunner(pool: InferencePool): ModelRunner {
  return {
    inputNames: pool.inputNames,
    outputNames: pool.outputNames,
    concurrency: pool.size,
    run: (feeds, outputs) => pool.run(feeds, outputs),
    close: () => pool.close(),
  };
}

/** Upper bound on padded tokens per onnxruntime call: keeps activations small on a laptop. */
const TOKENS_PER_BATCH = 4096;

type TokenRole = NonNullable<EncodedText['roles']>[number];

/** How one side (queries or passages) is prepared: resolved once at load from encoder.json. */
interface SideRules {
  /** Truncates to the side's length limit less the marker's place. */
  tokenizer: TextTokenizer;
  prefix: string;
  markerId: number | null;
  markerToken: string | null;
  /** Ids whose vectors this side leaves out (dropTokens, plus the skiplist for passages). */
  dropIds: Set<number>;
  /** Pad to `augmentLength` tokens with `maskId` (queries only; null: no augmentation). */
  maskId: number | null;
  augmentLength: number;
  augmentAttended: boolean;
  /** Whether this side can produce tokens other than text, so its outputs carry `roles`. */
  labelRoles: boolean;
  /** Ids kept as tokens but weighted 0 in MaxSim (the query skiplist; empty for passages). */
  zeroWeightIds: Set<number>;
  /** Output giving each kept token its MaxSim weight (queries only), or null. */
  weightsOutput: string | null;
  /** ONNX outputs this side fetches: the hidden states first, then weights and pooled ones when used. */
  outputs: string[];
}

/** One batch's outputs: hidden states `[batch, length, hidden]`, and per side the weights and pooled vectors. */
interface BatchOutputs {
  data: Float32Array;
  length: number;
  hidden: number;
  weights: Float32Array | null;
  pooled: { data: Float32Array; dim: number } | null;
}

/** The tokenizer's output with markers and augmentation in place, and where they are. */
interface PreparedText extends TokenizedText {
  /** Index of the inserted marker, or -1. */
  marker: number;
  /** Tokens from this index on are query augmentation. */
  augmentFrom: number;
  /** Tokens from this index on are fed to the model but not attended to. */
  attended: number;
}

/**
 * Turns text into per-token vectors with an ONNX model folder: the last hidden layer of a bidirectional
 * encoder (for a diffusion LM, the denoiser at t = 0 with nothing masked), optionally projected and
 * L2-normalised so dot products are cosines, as MaxSim expects. Late-interaction checkpoints (ColBERT,
 * PyLate, BGE-M3) add marker tokens, query augmentation and a passage skiplist, all named in encoder.json.
 */
export class TokenEncoder {
  private constructor(
    readonly dir: string,
    readonly manifest: EncoderManifest,
    readonly fingerprint: string,
    readonly executionProvider: ExecutionProvider,
    private readonly runner: ModelRunner,
    private readonly maxTokenId: number,
    private readonly projection: Float32Array | null,
    private readonly sides: { query: SideRules; document: SideRules },
  ) {}

  get dim(): number {
    return outputDim(this.manifest);
  }

  get name(): string {
    return this.manifest.name;
  }

  static async load(dir: string, opts: EncoderOptions = {}): Promise<TokenEncoder> {
    const folder = resolve(dir);
    const manifest = readManifest(folder);
    const tokenizerPath = join(folder, MODEL_FILES.tokenizer);
    const documentLimit = manifest.maxLength - (manifest.documentMarker !== null ? 1 : 0);
    const queryLimit = (manifest.queryMaxLength ?? manifest.maxLength) - (manifest.queryMarker !== null ? 1 : 0);
    const documentTokenizer = TextTokenizer.load(tokenizerPath, documentLimit);
    const queryTokenizer = queryLimit === documentLimit ? documentTokenizer : TextTokenizer.load(tokenizerPath, queryLimit);
    const wanted = opts.executionProvider ?? 'cpu';
    if (wanted === 'cuda' && !availableExecutionProviders().includes('cuda')) {
      throw new SaegimError('bad-input', 'CUDA execution provider is not installed: run `npm run cuda` (needs an NVIDIA GPU with CUDA 12)');
    }
    let runner: ModelRunner;
    const sessionOptions: ort.InferenceSession.SessionOptions = {
      executionProviders: sessionProviders(wanted),
      graphOptimizationLevel: 'all',
      // Errors reach the user as SaegimError messages; onnxruntime's own stderr lines would only duplicate them.
      logSeverityLevel: 3,
      ...(opts.threads && opts.threads > 0 ? { intraOpNumThreads: opts.threads } : {}),
    };
    try {
      const modelPath = join(folder, MODEL_FILES.model);
      runner =
        opts.workers && opts.workers > 0 && InferencePool.available()
          ? poolRunner(await InferencePool.start(modelPath, sessionOptions, opts.workers))
          : sessionRunner(await ort.InferenceSession.create(modelPath, sessionOptions));
    } catch (err) {
      throw new SaegimError('model-invalid', `${join(folder, MODEL_FILES.model)}: onnxruntime cannot load it (${(err as Error).message})`);
    }
    try {
      checkGraphNames(folder, manifest, runner);
    } catch (err) {
      await runner.close();
      throw err;
    }
    const projection = manifest.projection ? readProjection(folder, manifest) : null;
    const manifestPath = join(folder, MODEL_FILES.manifest);
    const idsOf = (tokens: string[]): Set<number> => {
      const ids = new Set<number>();
      for (const token of tokens) {
        const id = documentTokenizer.tokenId(token);
        if (id !== null) ids.add(id);
      }
      return ids;
    };
    const requiredId = (field: string, token: string | null): number | null => {
      if (token === null) return null;
      const id = documentTokenizer.tokenId(token);
      if (id === null) throw new SaegimError('model-invalid', `${manifestPath}: field "${field}": ${token} is not in tokenizer.json`);
      return id;
    };
    const dropIds = idsOf(manifest.dropTokens);
    const documentDropIds = idsOf(manifest.documentSkiplist);
    for (const id of dropIds) documentDropIds.add(id);
    const queryWeights = manifest.scoring.queryTokenWeights;
    // onnxruntime-node names the tensors of a fetch list that skips an output by position, not by name (asking
    // for outputs 0 and 2 returns output 2's tensor under output 1's name), so every side fetches the graph's
    // outputs in order, up to the last one it needs.
    const sideOutputs = (weights: string | null): string[] => {
      const needed = [manifest.output, weights, manifest.pooledOutput].filter((n): n is string => n !== null);
      const last = Math.max(...needed.map((n) => runner.outputNames.indexOf(n)));
      return runner.outputNames.slice(0, last + 1);
    };
    const augmentLength = manifest.maskToken !== null && manifest.queryAugmentLength > 0 ? manifest.queryAugmentLength : 0;
    const maskId = augmentLength > 0 ? requiredId('maskToken', manifest.maskToken) : null;
    const sides: { query: SideRules; document: SideRules } = {
      query: {
        tokenizer: queryTokenizer,
        prefix: manifest.queryPrefix,
        markerId: requiredId('queryMarker', manifest.queryMarker),
        markerToken: manifest.queryMarker,
        dropIds,
        maskId,
        augmentLength: maskId === null ? 0 : augmentLength,
        augmentAttended: manifest.queryAugmentAttended,
        labelRoles: false,
        zeroWeightIds: idsOf(manifest.querySkiplist),
        weightsOutput: queryWeights,
        outputs: sideOutputs(queryWeights),
      },
      document: {
        tokenizer: documentTokenizer,
        prefix: manifest.documentPrefix,
        markerId: requiredId('documentMarker', manifest.documentMarker),
        markerToken: manifest.documentMarker,
        dropIds: documentDropIds,
        maskId: null,
        augmentLength: 0,
        augmentAttended: true,
        labelRoles: false,
        zeroWeightIds: new Set(),
        weightsOutput: null,
        outputs: sideOutputs(null),
      },
    };
    for (const side of [sides.query, sides.document]) side.labelRoles = await producesNonText(side, manifest);
    const encoder = new TokenEncoder(folder, manifest, fingerprintModel(folder), wanted, runner, documentTokenizer.maxTokenId, projection, sides);
    await encoder.probe();
    return encoder;
  }

  async close(): Promise<void> {
    await this.runner.close();
  }

  /**
   * Token ids as the model sees them: the tokenizer's output, the side's marker at `markerPosition`, and
   * for queries the mask tokens of augmentation. Queries and passages are truncated before the marker
   * goes in, so the marker never pushes the total past the side's limit.
   */
  async tokenize(text: string, kind: 'query' | 'document'): Promise<TokenSpans> {
    return this.prepare(text, kind);
  }

  private async prepare(text: string, kind: 'query' | 'document'): Promise<PreparedText> {
    const side = this.sides[kind];
    const spans = await side.tokenizer.encode(text, { prefix: side.prefix, addSpecialTokens: this.manifest.addSpecialTokens, strip: this.manifest.stripText });
    return this.withMarkers(text, side, spans);
  }

  /** `prepare` for many texts, tokenized in one call. */
  private async prepareMany(texts: string[], kind: 'query' | 'document'): Promise<PreparedText[]> {
    const side = this.sides[kind];
    if (texts.length === 1) return [await this.prepare(texts[0]!, kind)];
    const spans = await side.tokenizer.encodeMany(texts, { prefix: side.prefix, addSpecialTokens: this.manifest.addSpecialTokens, strip: this.manifest.stripText });
    return spans.map((s, i) => this.withMarkers(texts[i]!, side, s));
  }

  private withMarkers(text: string, side: SideRules, spans: TokenizedText): PreparedText {
    let marker = -1;
    if (side.markerId !== null) {
      marker = Math.min(this.manifest.markerPosition, spans.ids.length);
      spans.ids.splice(marker, 0, side.markerId);
      spans.tokens.splice(marker, 0, side.markerToken!);
      spans.offsets.splice(marker, 0, [0, 0]);
      spans.special.splice(marker, 0, 0);
    }
    const augmentFrom = spans.ids.length;
    if (side.maskId !== null && spans.ids.length < side.augmentLength) {
      // ColBERT-style query augmentation: extra mask tokens the encoder fills with soft query terms.
      while (spans.ids.length < side.augmentLength) {
        spans.ids.push(side.maskId);
        spans.tokens.push(this.manifest.maskToken!);
        spans.offsets.push([text.length, text.length]);
        spans.special.push(0);
      }
    }
    return { ...spans, marker, augmentFrom, attended: side.augmentAttended ? spans.ids.length : augmentFrom };
  }

  async encodeQuery(text: string): Promise<EncodedText> {
    const [encoded] = await this.encodeTexts([text], 'query');
    return encoded!;
  }

  encodeQueries(texts: string[], ctl?: OperationControl): Promise<EncodedText[]> {
    return this.encodeTexts(texts, 'query', ctl);
  }

  encodeDocuments(texts: string[], ctl?: OperationControl): Promise<EncodedText[]> {
    return this.encodeTexts(texts, 'document', ctl);
  }

  /**
   * Length-bucketed batching: texts are sorted by token count so each batch pads to nearly its own
   * length, then results are put back in input order.
   */
  async encodeTexts(texts: string[], kind: 'query' | 'document', ctl?: OperationControl): Promise<EncodedText[]> {
    const side = this.sides[kind];
    const spans = await this.prepareMany(texts, kind);
    const order = spans.map((_, i) => i).sort((a, b) => spans[a]!.ids.length - spans[b]!.ids.length);
    const batches: number[][] = [];
    for (let start = 0; start < order.length; ) {
      const longest = Math.max(1, spans[order[start]!]!.ids.length);
      let end = start + 1;
      while (end < order.length && (end - start + 1) * Math.max(longest, spans[order[end]!]!.ids.length) <= TOKENS_PER_BATCH) end++;
      batches.push(order.slice(start, end));
      start = end;
    }
    const results = new Array<EncodedText>(texts.length);
    // With the model in worker threads, the next batches run while this thread copies out the last one.
    const ahead = this.runner.concurrency;
    const running: Array<Promise<BatchOutputs>> = [];
    const launch = (b: number) => {
      const batch = batches[b]!;
      const pending = this.run(
        batch.map((i) => spans[i]!.ids),
        batch.map((i) => spans[i]!.attended),
        side.outputs,
      );
      // Batches still in flight when one fails or the caller cancels must not surface as unhandled rejections.
      pending.catch(() => {});
      running[b] = pending;
    };
    let done = 0;
    for (let b = 0; b < batches.length; b++) {
      throwIfAborted(ctl?.signal, 'encoding');
      for (let next = running.length; next < batches.length && next <= b + ahead; next = running.length) launch(next);
      const outputs = await running[b]!;
      delete running[b];
      batches[b]!.forEach((textIndex, row) => {
        results[textIndex] = this.keepContentTokens(spans[textIndex]!, side, outputs, row);
      });
      done += batches[b]!.length;
      ctl?.onProgress?.({ phase: 'encoding', done, total: texts.length });
    }
    return results;
  }

  /** `attended[b]`: row b's tokens from that index on get attention mask 0 while their outputs are still read. */
  private async run(batch: number[][], attended: number[] | undefined, outputs: readonly string[]): Promise<BatchOutputs> {
    const length = Math.max(1, ...batch.map((ids) => ids.length));
    const size = batch.length * length;
    const ids = new BigInt64Array(size).fill(BigInt(this.manifest.padTokenId));
    const mask = new BigInt64Array(size);
    batch.forEach((row, b) => {
      const seen = attended?.[b] ?? row.length;
      for (let j = 0; j < row.length; j++) {
        ids[b * length + j] = BigInt(row[j]!);
        if (j < seen) mask[b * length + j] = 1n;
      }
    });
    const dims = [batch.length, length];
    const feeds: Record<string, { data: BigInt64Array; dims: number[] }> = {
      [this.manifest.inputs.inputIds]: { data: ids, dims },
      [this.manifest.inputs.attentionMask]: { data: mask, dims },
    };
    if (this.manifest.inputs.tokenTypeIds) {
      feeds[this.manifest.inputs.tokenTypeIds] = { data: new BigInt64Array(size), dims };
    }
    if (this.manifest.inputs.positionIds) {
      const positions = new BigInt64Array(size);
      for (let b = 0; b < batch.length; b++) for (let j = 0; j < length; j++) positions[b * length + j] = BigInt(j);
      feeds[this.manifest.inputs.positionIds] = { data: positions, dims };
    }
    let fetched: Record<string, { data: Float32Array; dims: readonly number[] }>;
    try {
      fetched = await this.runner.run(feeds, outputs);
    } catch (err) {
      const message = (err as Error).message;
      if (/index|out of (range|bounds)|gather/i.test(message)) {
        throw new SaegimError('model-invalid', `${this.dir}: tokenizer.json does not fit model.onnx — a token id is outside the model's vocabulary (${message})`);
      }
      throw new SaegimError('internal', `${this.dir}: onnxruntime failed (${message})`);
    }
    const out = fetched[this.manifest.output]!;
    const weights = this.manifest.scoring.queryTokenWeights;
    const pooledName = this.manifest.pooledOutput;
    const pooled = pooledName && fetched[pooledName] ? fetched[pooledName] : null;
    return {
      data: out.data,
      length,
      hidden: out.dims[2] ?? 0,
      weights: weights && fetched[weights] ? fetched[weights].data : null,
      pooled: pooled ? { data: pooled.data, dim: pooled.dims[1] ?? 0 } : null,
    };
  }

  private keepContentTokens(text: PreparedText, side: SideRules, out: BatchOutputs, row: number): EncodedText {
    const keep: number[] = [];
    for (let j = 0; j < text.ids.length; j++) {
      if (side.dropIds.has(text.ids[j]!) || text.offsets[j]![0] < 0) continue;
      keep.push(j);
    }
    const dim = this.dim;
    const hidden = out.hidden;
    const vectors = new Float32Array(keep.length * dim);
    const tokens = new Array<string>(keep.length);
    const offsets = new Array<[number, number]>(keep.length);
    const ids = new Array<number>(keep.length);
    const roles = side.labelRoles ? new Array<TokenRole>(keep.length) : undefined;
    // Outputs carry weights only where the side has a skiplist or a weights output.
    const weights = side.zeroWeightIds.size > 0 || side.weightsOutput !== null ? new Array<number>(keep.length) : undefined;
    for (let k = 0; k < keep.length; k++) {
      const j = keep[k]!;
      const base = (row * out.length + j) * hidden;
      const src = out.data.subarray(base, base + hidden);
      const dst = vectors.subarray(k * dim, (k + 1) * dim);
      if (this.projection) project(src, this.projection, dst);
      else dst.set(src);
      if (this.manifest.normalize) normalizeInPlace(dst);
      tokens[k] = text.tokens[j]!;
      offsets[k] = text.offsets[j]!;
      ids[k] = text.ids[j]!;
      if (weights) weights[k] = side.zeroWeightIds.has(text.ids[j]!) ? 0 : out.weights && side.weightsOutput ? out.weights[row * out.length + j]! : 1;
      if (roles) roles[k] = j === text.marker ? 'marker' : j >= text.augmentFrom ? 'augment' : text.special[j] === 1 ? 'special' : 'text';
    }
    const encoded: EncodedText = { tokens, offsets, ids, vectors: { length: keep.length, dim, data: vectors } };
    if (roles) encoded.roles = roles;
    if (weights) encoded.weights = weights;
    if (out.pooled) encoded.pooled = out.pooled.data.slice(row * out.pooled.dim, (row + 1) * out.pooled.dim);
    return encoded;
  }

  /** One forward pass at load time turns a wrong width or a tokenizer/model mismatch into a clear error now. */
  private async probe(): Promise<void> {
    const out = await this.run([[this.maxTokenId, 0]], undefined, this.sides.query.outputs);
    const manifestPath = join(this.dir, MODEL_FILES.manifest);
    if (out.hidden !== this.manifest.hiddenSize) {
      throw new SaegimError('model-invalid', `${manifestPath}: field "hiddenSize" says ${this.manifest.hiddenSize} but ${this.manifest.output} is ${out.hidden} wide`);
    }
    if (out.pooled && out.pooled.dim !== this.manifest.pooledDim) {
      throw new SaegimError('model-invalid', `${manifestPath}: field "pooledDim" says ${this.manifest.pooledDim} but ${this.manifest.pooledOutput} is ${out.pooled.dim} wide`);
    }
    if (out.weights && out.weights.length !== out.length) {
      throw new SaegimError('model-invalid', `${manifestPath}: field "scoring.queryTokenWeights": ${this.manifest.scoring.queryTokenWeights} is not one weight per token`);
    }
  }
}

/** True when a side inserts a marker, augments, or keeps a special token's vector: only then are roles worth labelling. */
async function producesNonText(side: SideRules, manifest: EncoderManifest): Promise<boolean> {
  if (side.markerId !== null || side.augmentLength > 0) return true;
  const sample = await side.tokenizer.encode('가', { prefix: side.prefix, addSpecialTokens: manifest.addSpecialTokens });
  return sample.ids.some((id, j) => sample.special[j] === 1 && !side.dropIds.has(id));
}

function checkGraphNames(folder: string, manifest: EncoderManifest, session: Pick<ModelRunner, 'inputNames' | 'outputNames'>): void {
  const wantedInputs = [manifest.inputs.inputIds, manifest.inputs.attentionMask, manifest.inputs.tokenTypeIds, manifest.inputs.positionIds].filter(
    (n): n is string => n !== null,
  );
  for (const name of wantedInputs) {
    if (!session.inputNames.includes(name)) {
      throw new SaegimError('model-invalid', `${join(folder, MODEL_FILES.model)}: has no input "${name}" named in encoder.json (inputs: ${session.inputNames.join(', ')})`);
    }
  }
  const unfed = session.inputNames.filter((n) => !wantedInputs.includes(n));
  if (unfed.length > 0) {
    throw new SaegimError('model-invalid', `${join(folder, MODEL_FILES.model)}: inputs ${unfed.join(', ')} are not described in encoder.json "inputs"`);
  }
  const named: Array<[string, string | null]> = [
    ['output', manifest.output],
    ['pooledOutput', manifest.pooledOutput],
    ['scoring.queryTokenWeights', manifest.scoring.queryTokenWeights],
  ];
  for (const [field, name] of named) {
    if (name !== null && !session.outputNames.includes(name)) {
      throw new SaegimError('model-invalid', `${join(folder, MODEL_FILES.model)}: has no output "${name}" named by encoder.json field "${field}" (outputs: ${session.outputNames.join(', ')})`);
    }
  }
}

function readProjection(folder: string, manifest: EncoderManifest): Float32Array {
  const { file, dim } = manifest.projection!;
  const bytes = readFileSync(join(folder, file));
  const expected = manifest.hiddenSize * dim * 4;
  if (bytes.byteLength !== expected) {
    throw new SaegimError('model-invalid', `${join(folder, file)}: projection holds ${bytes.byteLength} bytes, expected ${manifest.hiddenSize}×${dim} float32 (${expected})`);
  }
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}

/** `dst = src · P` with P row-major [hidden, dim]. */
function project(src: Float32Array, p: Float32Array, dst: Float32Array): void {
  const dim = dst.length;
  dst.fill(0);
  for (let h = 0; h < src.length; h++) {
    const x = src[h]!;
    if (x === 0) continue;
    const row = h * dim;
    for (let d = 0; d < dim; d++) dst[d]! += x * p[row + d]!;
  }
}

export function normalizeInPlace(v: Float32Array): void {
  let norm = 0;
  for (let i = 0; i < v.length; i++) norm += v[i]! * v[i]!;
  norm = Math.sqrt(norm);
  if (norm > 0) for (let i = 0; i < v.length; i++) v[i]! /= norm;
}

/**
 * Identifies a model without reading gigabytes: manifest, tokenizer and the head and tail of every
 * model file (external data included) with their sizes. Two folders with the same fingerprint produce
 * the same vectors, which is what the store needs to refuse mixing.
 */
export function fingerprintModel(dir: string): string {
  const hash = createHash('sha256');
  hash.update(readFileSync(join(dir, MODEL_FILES.manifest)));
  hash.update(readFileSync(join(dir, MODEL_FILES.tokenizer)));
  const files = readdirSync(dir)
    .filter((f) => f.startsWith('model.onnx') || f.endsWith('.data') || f.endsWith('.bin'))
    .sort();
  for (const file of files) {
    const path = join(dir, file);
    const size = statSync(path).size;
    hash.update(`${basename(file)}:${size}`);
    const chunk = Buffer.alloc(Math.min(size, 1 << 20));
    const fd = openSync(path, 'r');
    try {
      readSync(fd, chunk, 0, chunk.length, 0);
      hash.update(chunk);
      readSync(fd, chunk, 0, chunk.length, Math.max(0, size - chunk.length));
      hash.update(chunk);
    } finally {
      closeSync(fd);
    }
  }
  return hash.digest('hex').slice(0, 16);
}
