import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { apiRoutes } from '../../../functions/routes.ts';
import { ApiError, ApiInputError, ApiResponseError, createApiClient } from '../../../types/apiClient.ts';
import { apiContract, contractRoutes } from '../../../types/apiRoutes.ts';

/** A transport that records what was sent and answers with `status` and `body`. */
function fakeTransport(status: number, body: unknown) {
  const sent: Request[] = [];
  return {
    sent,
    transport: {
      baseUrl: 'https://api.example',
      send: async (request: Request) => {
        sent.push(request);
        return new Response(body === undefined ? null : JSON.stringify(body), { status });
      },
    },
  };
}

const backup = {
  id: 'b-1',
  sourceId: 'shop',
  database: 'shop',
  status: 'queued',
  trigger: 'api',
  createdAt: '2026-01-31T12:00:00.000Z',
};

describe('the typed client', () => {
  it('has a response schema for every route the handlers serve', () => {
    expect(contractRoutes.map((r) => r.operation)).toEqual(apiRoutes.map((r) => r.operation));
    for (const route of contractRoutes) expect(route.response, route.operation).toBeInstanceOf(z.ZodType);
  });

  it('fills the path parameters and sends the rest as the query', async () => {
    const { sent, transport } = fakeTransport(200, { items: [backup], nextCursor: 'abc' });
    const page = await createApiClient(transport).listSourceBackups({ id: 'shop', status: 'failed', limit: 5 });
    expect(sent[0]?.method).toBe('GET');
    expect(sent[0]?.url).toBe('https://api.example/v1/data-sources/shop/backups?status=failed&limit=5');
    expect(page).toEqual({ items: [backup], nextCursor: 'abc' });
  });

  it('sends a body as JSON and answers nothing for a 204', async () => {
    const created = fakeTransport(202, { restoreId: 'r-1' });
    const body = { backupId: 'b-1', targetSourceId: 'shop', targetDatabase: 'shop', confirmDatabase: 'shop' };
    expect(await createApiClient(created.transport).createRestore(body)).toEqual({ restoreId: 'r-1' });
    expect(await created.sent[0]?.json()).toEqual(body);
    expect(created.sent[0]?.headers.get('content-type')).toBe('application/json');

    const deleted = fakeTransport(204, undefined);
    await expect(createApiClient(deleted.transport).deleteDataSource({ id: 'shop', force: 'true' })).resolves.toBe(
      undefined,
    );
    expect(deleted.sent[0]?.url).toBe('https://api.example/v1/data-sources/shop?force=true');
  });

  it('refuses input its route would refuse, naming the field, without sending it', async () => {
    const { sent, transport } = fakeTransport(200, { items: [] });
    const api = createApiClient(transport);
    const refused = (promise: Promise<unknown>) =>
      promise.then(
        () => undefined,
        (error: unknown) => error,
      );

    const badFilter = await refused(api.listBackups({ status: 'broken' as 'failed' }));
    expect(badFilter).toBeInstanceOf(ApiInputError);
    expect((badFilter as ApiInputError).fields).toHaveProperty('status');
    expect((badFilter as Error).message).toMatch(/^listBackups: status: /);

    const badId = await refused(api.getBackup({ id: '../trash' }));
    expect((badId as ApiInputError).fields).toEqual({ id: 'id must be 1-64 letters, digits, _ or -' });

    const badBody = await refused(
      api.createRestore({ backupId: 'b-1', targetSourceId: 'shop', targetDatabase: 'shop', confirmDatabase: 'shoP' }),
    );
    expect((badBody as ApiInputError).fields).toEqual({
      confirmDatabase: 'confirmDatabase must repeat targetDatabase exactly',
    });
    expect(sent).toHaveLength(0);
  });

  it('throws an answer that breaks the contract instead of passing it on', async () => {
    const { transport } = fakeTransport(200, { items: [{ ...backup, status: 'exploded' }] });
    const error = await createApiClient(transport)
      .listBackups()
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(error).toBeInstanceOf(ApiResponseError);
    expect((error as ApiResponseError).fields).toHaveProperty(['items.0.status']);
    expect((error as Error).message).toMatch(
      /^listBackups answered with what its contract does not allow: items\.0\.status/,
    );
  });

  it('throws a refusal as ApiError with its fields', async () => {
    const { transport } = fakeTransport(409, { error: 'the source still has backups', fields: { force: 'say true' } });
    await expect(createApiClient(transport).deleteDataSource({ id: 'shop' })).rejects.toEqual(
      new ApiError(409, 'the source still has backups', { force: 'say true' }),
    );
  });

  it('names every operation of the contract as a method', () => {
    const api = createApiClient(fakeTransport(200, {}).transport);
    for (const operation of Object.keys(apiContract))
      expect(typeof api[operation as keyof typeof apiContract]).toBe('function');
  });
});
