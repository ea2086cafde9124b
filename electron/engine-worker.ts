import type { OperationControl, Progress } from '../main/contract/api.js';
import { API_ARITY, isLongOperation, toWireError } from '../main/contract/wire.js';
import { SaegimService } from '../main/service.js';
import type { EngineOptions, FromEngine, ToEngine } from './engine-messages.js';

/** Progress closer together than this is coalesced before it crosses two process boundaries. */
const PROGRESS_INTERVAL_MS = 50;

function readOptions(argv: string[]): EngineOptions {
  const at = argv.indexOf('--engine-options');
  if (at < 0 || !argv[at + 1]) throw new Error('the engine process needs --engine-options');
  return JSON.parse(argv[at + 1]!) as EngineOptions;
}

/**
 * The engine in Electron's utility process: encoding, MaxSim scoring and SQLite work run here, so the
 * window's main process never blocks. Calls arrive already validated by ipc.ts; the service checks again.
 */
export async function runEngine(): Promise<void> {
  const port = process.parentPort;
  const send = (message: FromEngine) => port.postMessage(message);
  let service: SaegimService;
  try {
    const opts = readOptions(process.argv);
    service = SaegimService.open({ dbPath: opts.dbPath, modelDir: opts.modelDir, ...(opts.demo ? {} : { bundledDataDir: null }) });
    void service.bootstrap();
  } catch (err) {
    send({ type: 'fatal', message: (err as Error).message });
    process.exit(1);
  }
  const running = new Map<string, AbortController>();

  const call = async (msg: Extract<ToEngine, { type: 'call' }>) => {
    const controller = new AbortController();
    running.set(msg.id, controller);
    let latest: Progress | null = null;
    let lastSent = 0;
    let timer: NodeJS.Timeout | null = null;
    const flush = () => {
      if (timer) clearTimeout(timer);
      timer = null;
      lastSent = Date.now();
      if (latest) send({ type: 'progress', id: msg.id, progress: latest });
      latest = null;
    };
    const ctl: OperationControl = {
      signal: controller.signal,
      onProgress: msg.progress
        ? (p) => {
            latest = { ...p };
            const wait = PROGRESS_INTERVAL_MS - (Date.now() - lastSent);
            if (wait <= 0) flush();
            else timer ??= setTimeout(flush, wait);
          }
        : undefined,
    };
    try {
      const fn = service[msg.method] as (...a: unknown[]) => Promise<unknown>;
      const args = msg.args.slice(0, API_ARITY[msg.method]);
      const result = await fn.apply(service, isLongOperation(msg.method) ? [...args, ctl] : args);
      if (timer) flush();
      send({ type: 'reply', id: msg.id, ok: true, result: result ?? null });
    } catch (err) {
      if (timer) flush();
      send({ type: 'reply', id: msg.id, ok: false, error: toWireError(err) });
    } finally {
      running.delete(msg.id);
    }
  };

  port.on('message', (event) => {
    const msg = event.data as ToEngine;
    if (msg.type === 'call') void call(msg);
    else if (msg.type === 'cancel') running.get(msg.id)?.abort();
    else if (msg.type === 'shutdown') {
      for (const c of running.values()) c.abort();
      void service.close().finally(() => process.exit(0));
    }
  });
  send({ type: 'ready' });
}
