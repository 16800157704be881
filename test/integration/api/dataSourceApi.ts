import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TableRef } from '../../../functions/shared/repositories/table.ts';
import { useTestTable } from '../../support/api.ts';

type Handler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

/** A stand-in for the EventBridge Scheduler endpoint: records DeleteSchedule calls and answers them. */
export interface SchedulerStub {
  readonly endpoint: string;
  /** `{ name, group }` of every DeleteSchedule received, in order. */
  readonly deleted: { name: string; group: string | null }[];
  close(): Promise<void>;
}

export async function startSchedulerStub(): Promise<SchedulerStub> {
  const deleted: SchedulerStub['deleted'] = [];
  const server: Server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://stub');
    const match = /^\/schedules\/([^/]+)$/.exec(url.pathname);
    request.resume();
    if (request.method === 'DELETE' && match?.[1]) {
      deleted.push({ name: decodeURIComponent(match[1]), group: url.searchParams.get('groupName') });
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      return;
    }
    response
      .writeHead(400, { 'content-type': 'application/json', 'x-amzn-errortype': 'ValidationException' })
      .end('{"message":"stub: unexpected call"}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    deleted,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

export interface DataSourceApi {
  readonly table: TableRef;
  readonly scheduler: SchedulerStub;
  readonly list: Handler;
  readonly create: Handler;
  readonly get: Handler;
  readonly update: Handler;
  readonly remove: Handler;
  readonly enable: Handler;
  readonly disable: Handler;
  readonly test: Handler;
  readonly testSettings: Handler;
  readonly inspect: Handler;
  readonly audit: Handler;
}

/** The handlers of `DataSourceApi`, by name. */
export type Route = Exclude<keyof DataSourceApi, 'table' | 'scheduler'>;

/**
 * The real handlers over a fresh DynamoDB Local table, the in-process secret store and a Scheduler stub. The
 * environment is set before the handlers are imported: they read it once, at load.
 */
export async function startDataSourceApi(): Promise<DataSourceApi> {
  const table = await useTestTable();
  const scheduler = await startSchedulerStub();
  process.env.SCHEDULE_GROUP_NAME = 'keepsake-test';
  process.env.KEEPSAKE_SCHEDULER_ENDPOINT = scheduler.endpoint;
  delete process.env.KEEPSAKE_SCHEDULER;
  (await import('../../../scripts/local/secretStores.ts')).useMemorySecretStore();
  return {
    table,
    scheduler,
    list: (await import('../../../functions/dataSources/listDataSources.ts')).handler,
    create: (await import('../../../functions/dataSources/createDataSource.ts')).handler,
    get: (await import('../../../functions/dataSources/getDataSource.ts')).handler,
    update: (await import('../../../functions/dataSources/updateDataSource.ts')).handler,
    remove: (await import('../../../functions/dataSources/deleteDataSource.ts')).handler,
    enable: (await import('../../../functions/dataSources/enableDataSource.ts')).handler,
    disable: (await import('../../../functions/dataSources/disableDataSource.ts')).handler,
    test: (await import('../../../functions/dataSources/testDataSource.ts')).handler,
    testSettings: (await import('../../../functions/dataSources/testConnectionSettings.ts')).handler,
    inspect: (await import('../../../functions/dataSources/inspectDatabase.ts')).handler,
    audit: (await import('../../../functions/audit/listAudit.ts')).handler,
  };
}

/** A valid create body; `overrides` replace or (with `undefined`) remove fields. */
export function sourceBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const body: Record<string, unknown> = {
    name: 'Shop production',
    engine: 'mysql',
    host: 'shop.cluster-abc.eu-west-1.rds.amazonaws.com',
    port: 3306,
    database: 'shop',
    username: 'backup',
    password: 'correct horse battery staple',
    ...overrides,
  };
  for (const [key, value] of Object.entries(overrides)) if (value === undefined) delete body[key];
  return body;
}

export const SOURCES = '/v1/data-sources';
export const SOURCE = '/v1/data-sources/{id}';
