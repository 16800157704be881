import { IdPathSchema } from '../../types/api.ts';
import type { IdPath } from '../../types/apiDataSources.ts';
import type { DataSource } from '../../types/dataSource.ts';
import { httpHandler, type HttpInput } from '../shared/http.ts';
import { tableFromEnv } from '../shared/tableFromEnv.ts';
import * as service from './dataSourceService.ts';

const deps = { table: tableFromEnv() };

/** GET /v1/data-sources/{id}: the source without its password or where that is kept. */
async function getDataSource({ path }: HttpInput<IdPath, unknown, unknown>): Promise<DataSource> {
  return service.getDataSourceById(deps, path.id);
}

export const handler = httpHandler({ path: IdPathSchema }, getDataSource);
