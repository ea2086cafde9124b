import { AsyncLocalStorage } from 'node:async_hooks';
import type { Passage } from '../contract/types.js';
import type { RecordLocation } from './builder.js';

/**
 * What a streaming import (datasets/stream.ts) asks of the readers it runs, without threading options
 * through every format's reader: where accepted passages go (to the store, batch by batch, instead of an
 * array holding all of them) and how many bytes the line reader has read, for progress.
 */
export interface ReadContext {
  onPassage?: (passage: Passage, at: RecordLocation) => void;
  bytesRead: number;
}

export const readContext = new AsyncLocalStorage<ReadContext>();

/** Counts bytes the line reader took from a file, when a streaming import listens. */
export function meterRead(bytes: number): void {
  const context = readContext.getStore();
  if (context) context.bytesRead += bytes;
}
