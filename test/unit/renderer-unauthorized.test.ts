import { describe, expect, it } from 'vitest';
import { ApiError, createClient, watchUnauthorized, type Transport } from '../../renderer/src/api/client.js';

/** A transport whose every call and job fails with `code`, recording cancels. */
function failing(code: ApiError['code']) {
  const cancels: string[] = [];
  const transport: Transport = {
    kind: 'http',
    call: async () => {
      throw new ApiError({ code, message: `refused (${code})` });
    },
    job: (method) => ({
      result: Promise.reject(new ApiError({ code, message: `refused (${code})` })),
      cancel: () => cancels.push(method),
    }),
  };
  return { client: createClient(transport), cancels };
}

describe('watchUnauthorized', () => {
  it('reports a refused call and still rejects it', async () => {
    const { client } = failing('unauthorized');
    const seen: string[] = [];
    const watched = watchUnauthorized(client, (err) => seen.push(err.code));
    await expect(watched.listCollections()).rejects.toMatchObject({ code: 'unauthorized' });
    await expect(watched.search({ collection: 'demo-ko', query: '세종' })).rejects.toBeInstanceOf(ApiError);
    expect(seen).toEqual(['unauthorized', 'unauthorized']);
  });

  it('reports a refused job, and passes cancel through', async () => {
    const { client, cancels } = failing('unauthorized');
    const seen: string[] = [];
    const job = watchUnauthorized(client, (err) => seen.push(err.code)).indexCollection({ collection: 'demo-ko' });
    job.cancel();
    await expect(job.result).rejects.toMatchObject({ code: 'unauthorized' });
    expect(seen).toEqual(['unauthorized']);
    expect(cancels).toEqual(['indexCollection']);
  });

  it('ignores every other error and keeps the transport kind', async () => {
    const { client } = failing('not-found');
    const seen: string[] = [];
    const watched = watchUnauthorized(client, (err) => seen.push(err.code));
    await expect(watched.info()).rejects.toMatchObject({ code: 'not-found' });
    await expect(watched.evaluate({ collection: 'demo-ko' }).result).rejects.toMatchObject({ code: 'not-found' });
    expect(seen).toEqual([]);
    expect(watched.transport).toBe('http');
    expect(watched.pickPath).toBeNull();
  });
});
