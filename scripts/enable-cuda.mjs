// Opt-in CUDA: fetches onnxruntime-node's CUDA 12 provider libraries (skipped by the default install).
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const require = createRequire(import.meta.url);
const installer = join(require.resolve('onnxruntime-node/package.json'), '..', 'script', 'install.js');
const run = spawnSync(process.execPath, [installer, '--onnxruntime-node-install=cuda12'], { stdio: 'inherit', env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'cuda12' } });
if (run.status === 0) process.stdout.write('CUDA provider installed: choose CUDA in Settings, or it is used when the execution provider setting is "cuda".\n');
process.exit(run.status ?? 1);
