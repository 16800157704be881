import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { collections, keys } from '../../../functions/shared/keys.ts';
import type { DataSource } from '../../../types/dataSource.ts';
import { call, type ApiRequest, type ApiResponse } from '../../support/api.ts';
import { SOURCE, SOURCES, sourceBody, startDataSourceApi, type DataSourceApi, type Route } from './dataSourceApi.ts';

const FIRST = 'Canary-1st-pw-7c2f91d0';
const SECOND = 'Canary-2nd-pw-e45ab318';

let api: DataSourceApi;
beforeAll(async () => {
  // Read when the handlers load their logger: every level, and the switch that would have Powertools log each event.
  process.env.LOG_LEVEL = 'debug';
  process.env.POWERTOOLS_LOGGER_LOG_EVENT = 'true';
  api = await startDataSourceApi();
});
afterAll(() => {
  delete process.env.LOG_LEVEL;
  delete process.env.POWERTOOLS_LOGGER_LOG_EVENT;
  return api.scheduler.close();
});

describe('a password given to the API', () => {
  it('never appears in a response body nor a log line, and neither does where it is kept', async () => {
    const logged: string[] = [];
    const capture = (chunk: unknown) => {
      logged.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
      return true;
    };
    const spies = [
      vi.spyOn(process.stdout, 'write').mockImplementation(capture),
      vi.spyOn(process.stderr, 'write').mockImplementation(capture),
      ...(['log', 'info', 'warn', 'error', 'debug'] as const).map((level) =>
        vi.spyOn(console, level).mockImplementation((...args) => void capture(args.join(' '))),
      ),
    ];
    const responses: ApiResponse[] = [];
    const send = async (route: Route, request: ApiRequest) => {
      const response = await call(api[route], request);
      responses.push(response);
      return response;
    };

    try {
      const created = await send('create', {
        method: 'POST',
        resource: SOURCES,
        body: sourceBody({ password: FIRST, host: '127.0.0.1', port: 1 }),
      });
      const id = (created.body as unknown as DataSource).id;
      const path = { id };
      // Refused requests that carry the password: the 400 names fields, never echoes values.
      await send('create', {
        method: 'POST',
        resource: SOURCES,
        body: sourceBody({ password: FIRST, port: 'abc', secret: FIRST }),
      });
      await send('create', { method: 'POST', resource: SOURCES, rawBody: `{"password": "${FIRST}", ` });
      await send('create', { method: 'POST', resource: SOURCES, body: sourceBody({ password: FIRST.repeat(1000) }) });
      await send('update', {
        method: 'PATCH',
        resource: SOURCE,
        pathParameters: path,
        body: { password: SECOND, port: 0 },
      });
      // Accepted ones, and every read.
      await send('get', { method: 'GET', resource: SOURCE, pathParameters: path });
      await send('list', { method: 'GET', resource: SOURCES });
      await send('update', { method: 'PATCH', resource: SOURCE, pathParameters: path, body: { password: SECOND } });
      await send('update', {
        method: 'PATCH',
        resource: SOURCE,
        pathParameters: { id: 'unknown' },
        body: { password: SECOND },
      });
      await send('disable', { method: 'POST', resource: `${SOURCE}/disable`, pathParameters: path });
      await send('enable', { method: 'POST', resource: `${SOURCE}/enable`, pathParameters: path });
      const tested = await send('test', { method: 'POST', resource: `${SOURCE}/test`, pathParameters: path });
      expect(tested.body).toMatchObject({ ok: false });
      await api.table.client.send(
        new PutCommand({
          TableName: api.table.tableName,
          Item: { ...keys.backup('bk-1'), gsi2pk: collections.backupsOf(id), gsi2sk: 'x', id: 'bk-1', sourceId: id },
        }),
      );
      await send('remove', { method: 'DELETE', resource: SOURCE, pathParameters: path });
      await send('audit', { method: 'GET', resource: '/v1/audit' });
      await send('remove', { method: 'DELETE', resource: SOURCE, pathParameters: path, query: { force: 'true' } });
    } finally {
      spies.forEach((spy) => spy.mockRestore());
    }

    expect(responses.map((r) => r.status)).toEqual([
      201, 400, 400, 400, 400, 200, 200, 200, 404, 200, 200, 200, 409, 200, 204,
    ]);
    for (const response of responses) {
      const text = JSON.stringify(response.raw);
      expect(text).not.toContain(FIRST);
      expect(text).not.toContain(SECOND);
      expect(text).not.toContain('secretsmanager');
      expect(text).not.toContain('keepsake/data-source/');
      expect(text).not.toContain('passwordSecretArn');
    }
    // The capture saw the handlers' log lines (so an empty capture cannot pass), and none holds a password.
    expect(logged.some((line) => line.includes('"message":"data source created"'))).toBe(true);
    expect(logged.some((line) => line.includes('"message":"data source connection tested"'))).toBe(true);
    for (const line of logged) {
      expect(line).not.toContain(FIRST);
      expect(line).not.toContain(SECOND);
    }
  });
});
