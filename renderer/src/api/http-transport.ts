import type { Progress } from '../../../main/contract/api.js';
import type { LongMethod, MethodName } from '../../../main/contract/methods.js';
import { callPath, isWireError, jobCancelPath, jobEventsPath, jobPath } from '../../../main/contract/wire.js';
import { ApiError, type Job, type ProgressListener, type Transport } from './client.js';

async function postJson(url: string, body: unknown): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  } catch (err) {
    throw new ApiError({ code: 'internal', message: `cannot reach the Saegim server: ${(err as Error).message}` });
  }
  let payload: unknown;
  try {
    payload = await res.json();
  } catch {
    throw new ApiError({ code: 'internal', message: `the server answered ${res.status} without JSON` });
  }
  const error = (payload as { error?: unknown }).error;
  if (isWireError(error)) throw new ApiError(error);
  if (!res.ok) throw new ApiError({ code: 'internal', message: `the server answered ${res.status}` });
  return payload;
}

/** Browser mode: fetch for calls, EventSource for job progress (http-protocol.ts). */
export function httpTransport(base = ''): Transport {
  return {
    kind: 'http',
    async call(method: MethodName, args: unknown[]) {
      return ((await postJson(base + callPath(method), args)) as { result?: unknown }).result;
    },
    job(method: LongMethod, args: unknown[], onProgress?: ProgressListener): Job<unknown> {
      let jobId: string | null = null;
      let cancelRequested = false;
      const cancelNow = (id: string) => void postJson(base + jobCancelPath(id), []).catch(() => undefined);
      const result = (async () => {
        const started = (await postJson(base + jobPath(method), args)) as { jobId: string };
        jobId = started.jobId;
        if (cancelRequested) cancelNow(jobId);
        return new Promise<unknown>((resolve, reject) => {
          const source = new EventSource(base + jobEventsPath(started.jobId));
          const settle = (fn: () => void) => {
            source.close();
            fn();
          };
          source.addEventListener('progress', (e) => onProgress?.(JSON.parse((e as MessageEvent<string>).data) as Progress));
          source.addEventListener('result', (e) => {
            const { result } = JSON.parse((e as MessageEvent<string>).data) as { result: unknown };
            settle(() => resolve(result));
          });
          // The server's `error` event shares its name with EventSource's own connection error; only the
          // server's carries data.
          source.addEventListener('error', (e) => {
            if (e instanceof MessageEvent && typeof e.data === 'string') {
              const { error } = JSON.parse(e.data) as { error: unknown };
              settle(() => reject(new ApiError(isWireError(error) ? error : { code: 'internal', message: String(error) })));
            } else if (source.readyState === EventSource.CLOSED) {
              settle(() => reject(new ApiError({ code: 'internal', message: 'lost the connection to the Saegim server' })));
            }
          });
        });
      })();
      return {
        result,
        cancel() {
          cancelRequested = true;
          if (jobId) cancelNow(jobId);
        },
      };
    },
  };
}
