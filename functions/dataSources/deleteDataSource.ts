import { IdPathSchema } from '../../types/api.ts';
import { DeleteDataSourceQuerySchema, type DeleteDataSourceQuery, type IdPath } from '../../types/apiDataSources.ts';
import { schedulerClient } from '../shared/clients.ts';
import { httpHandler, type HttpInput, type RequestContext } from '../shared/http.ts';
import { secretStoreFromEnv } from '../shared/secretStore.ts';
import { tableFromEnv } from '../shared/tableFromEnv.ts';
import { scheduleRemoverFromEnv } from './scheduleRemover.ts';
import * as service from './dataSourceService.ts';

const deps = {
  table: tableFromEnv(),
  secrets: secretStoreFromEnv(),
  scheduler: scheduleRemoverFromEnv(schedulerClient),
};

/** DELETE /v1/data-sources/{id}[?force=true]: 409 while it holds backups unless forced; schedules go with it. */
async function deleteDataSource(
  { path, query }: HttpInput<IdPath, DeleteDataSourceQuery, unknown>,
  ctx: RequestContext,
): Promise<void> {
  await service.deleteDataSource(deps, path.id, { force: query.force }, ctx.principal);
}

export const handler = httpHandler(
  { path: IdPathSchema, query: DeleteDataSourceQuerySchema, status: 204 },
  deleteDataSource,
);
