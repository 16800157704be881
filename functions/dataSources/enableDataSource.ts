import { IdPathSchema } from '../../types/api.ts';
import type { IdPath } from '../../types/apiDataSources.ts';
import type { DataSource } from '../../types/dataSource.ts';
import { httpHandler, type HttpInput, type RequestContext } from '../shared/http.ts';
import { tableFromEnv } from '../shared/tableFromEnv.ts';
import * as service from './dataSourceService.ts';

const deps = { table: tableFromEnv() };

/** POST /v1/data-sources/{id}/enable: its scheduled and manual backups run again. */
async function enableDataSource(
  { path }: HttpInput<IdPath, unknown, unknown>,
  ctx: RequestContext,
): Promise<DataSource> {
  return service.setDataSourceEnabled(deps, path.id, true, ctx.principal);
}

export const handler = httpHandler({ path: IdPathSchema }, enableDataSource);
