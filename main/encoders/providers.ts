import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { listSupportedBackends } from 'onnxruntime-node';
import type { ExecutionProvider } from '../contract/types.js';

const require = createRequire(import.meta.url);

/**
 * Execution providers this onnxruntime-node install can use. The binding always lists CUDA, but its
 * shared library is present only after the user opts in (`npm run cuda`), because the default install
 * skips onnxruntime-node's CUDA download.
 */
export function availableExecutionProviders(): ExecutionProvider[] {
  const providers: ExecutionProvider[] = ['cpu'];
  const cuda = listSupportedBackends().find((b) => b.name.toLowerCase() === 'cuda');
  if (cuda && (cuda.bundled || cudaLibraryInstalled())) providers.push('cuda');
  return providers;
}

function cudaLibraryInstalled(): boolean {
  const root = dirname(require.resolve('onnxruntime-node/package.json'));
  const dir = join(root, 'bin', `napi-v6`, process.platform, process.arch);
  const lib = process.platform === 'win32' ? 'onnxruntime_providers_cuda.dll' : 'libonnxruntime_providers_cuda.so';
  return existsSync(join(dir, lib));
}

/** The provider list handed to onnxruntime, CPU always last as the fallback for unsupported ops. */
export function sessionProviders(wanted: ExecutionProvider): string[] {
  return wanted === 'cuda' ? ['cuda', 'cpu'] : ['cpu'];
}
