// Builds the fused MaxSim kernel (main/search/native/) into dist/native/saegim_maxsim.node with node-gyp.
// Optional: where no C compiler is found the engine scores with onnxruntime's graph instead, so a failed
// build warns and exits 0. SAEGIM_NATIVE=0 skips it.
import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const sources = join(root, 'main', 'search', 'native');
// Built outside main/ so that build outputs never make the engine's sources look newer than dist/.
const work = join(root, 'dist', 'native-build');
const target = join(root, 'dist', 'native', 'saegim_maxsim.node');

function nodeGyp() {
  // npm tells its scripts where its own node-gyp is; run directly, look beside the npm that came with node.
  const candidates = [
    process.env.npm_config_node_gyp,
    join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  ];
  return candidates.find((c) => c && existsSync(c)) ?? null;
}

function newestSource() {
  return Math.max(...readdirSync(sources).map((f) => statSync(join(sources, f)).mtimeMs));
}

function warn(why) {
  rmSync(target, { force: true });
  process.stderr.write(`saegim: the fused MaxSim kernel was not built (${why}); exact search uses onnxruntime's MaxSim graph\n`);
}

if (process.env.SAEGIM_NATIVE === '0') {
  rmSync(target, { force: true });
} else if (!existsSync(target) || statSync(target).mtimeMs < newestSource()) {
  const gyp = nodeGyp();
  if (!gyp) {
    warn('node-gyp not found');
  } else {
    rmSync(work, { recursive: true, force: true });
    mkdirSync(work, { recursive: true });
    cpSync(sources, work, { recursive: true });
    const run = spawnSync(process.execPath, [gyp, 'rebuild', '--loglevel=warn'], { cwd: work, encoding: 'utf8' });
    if (run.status !== 0) {
      warn(((run.stderr || run.error?.message || '').trim().split('\n').filter(Boolean).at(-1)) ?? `node-gyp exited ${run.status}`);
    } else {
      mkdirSync(dirname(target), { recursive: true });
      copyFileSync(join(work, 'build', 'Release', 'saegim_maxsim.node'), target);
      rmSync(work, { recursive: true, force: true });
    }
  }
}
