import { IdPathSchema } from '../../types/api.ts';
import type { IdPath } from '../../types/apiDataSources.ts';
import { UpdateDataSourceSchema, type DataSource, type UpdateDataSource } from '../../types/dataSource.ts';
import { httpHandler, type HttpInput, type RequestContext } from '../shared/http.ts';
import { secretStoreFromEnv } from '../shared/secretStore.ts';
import { tableFromEnv } from '../shared/tableFromEnv.ts';
import * as service from './dataSourceService.ts';

const deps = { table: tableFromEnv(), secrets: secretStoreFromEnv() };

/** PATCH /v1/data-sources/{id}: changes the fields sent; a password replaces the secret's value. */
async function updateDataSource(
  { path, body }: HttpInput<IdPath, unknown, UpdateDataSource>,
  ctx: RequestContext,
): Promise<DataSource> {
  return service.updateDataSource(deps, path.id, body, ctx.principal);
}

export const handler = httpHandler({ path: IdPathSchema, body: UpdateDataSourceSchema }, updateDataSource);
