// Utility-process entry point. CommonJS on purpose: it loads on every Electron version's utility process,
// and hands over to the ES module engine with a dynamic import.
void import('./engine-worker.js').then(
  (m) => m.runEngine(),
  (err: unknown) => {
    process.parentPort.postMessage({ type: 'fatal', message: `cannot load the engine: ${String((err as Error)?.stack ?? err)}` });
    process.exit(1);
  },
);
