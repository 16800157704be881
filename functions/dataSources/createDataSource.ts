import { CreateDataSourceSchema, type CreateDataSource, type DataSource } from '../../types/dataSource.ts';
import { httpHandler, type HttpInput, type RequestContext } from '../shared/http.ts';
import { secretStoreFromEnv } from '../shared/secretStore.ts';
import { tableFromEnv } from '../shared/tableFromEnv.ts';
import * as service from './dataSourceService.ts';

const deps = { table: tableFromEnv(), secrets: secretStoreFromEnv() };

/** POST /v1/data-sources: the password goes to its own secret, the rest to the table, with an audit event. */
async function createDataSource(
  { body }: HttpInput<unknown, unknown, CreateDataSource>,
  ctx: RequestContext,
): Promise<DataSource> {
  return service.createDataSource(deps, body, ctx.principal);
}

export const handler = httpHandler({ body: CreateDataSourceSchema, status: 201 }, createDataSource);
