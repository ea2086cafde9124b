import type { Progress } from '../../../main/contract/api.js';
import type { LongMethod, MethodName } from '../../../main/contract/methods.js';
import type { BridgeReply, SaegimBridge } from '../../../main/contract/bridge.js';
import { ApiError, type Job, type ProgressListener, type Transport } from './client.js';

function unwrap(reply: BridgeReply): unknown {
  if (reply.ok) return reply.result;
  throw new ApiError(reply.error);
}

/** The Electron window: calls go through the preload bridge to the main process and the engine process. */
export function bridgeTransport(bridge: SaegimBridge): Transport {
  return {
    kind: 'electron',
    async call(method: MethodName, args: unknown[]) {
      return unwrap(await bridge.call(method, args));
    },
    job(method: LongMethod, args: unknown[], onProgress?: ProgressListener): Job<unknown> {
      const jobId = crypto.randomUUID();
      let unsubscribe: () => void = () => undefined;
      const result = new Promise<unknown>((resolve, reject) => {
        unsubscribe = bridge.onJobEvent((id, event) => {
          if (id !== jobId) return;
          if (event.type === 'progress') onProgress?.(event.progress as Progress);
          else {
            unsubscribe();
            if (event.type === 'result') resolve(event.result);
            else reject(new ApiError(event.error));
          }
        });
        bridge.startJob(jobId, method, args).then(
          (reply) => {
            if (!reply.ok) {
              unsubscribe();
              reject(new ApiError(reply.error));
            }
          },
          (err: unknown) => {
            unsubscribe();
            reject(new ApiError({ code: 'internal', message: String((err as Error)?.message ?? err) }));
          },
        );
      });
      return { result, cancel: () => void bridge.cancelJob(jobId) };
    },
    pickPath: (kind) => bridge.pickPath(kind),
    pathForFile: (file) => bridge.pathForFile(file),
  };
}
