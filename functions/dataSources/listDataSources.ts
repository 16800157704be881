import type { Page, PageQuery } from '../../types/api.ts';
import { PageQuerySchema } from '../../types/api.ts';
import type { DataSource } from '../../types/dataSource.ts';
import { httpHandler, type HttpInput } from '../shared/http.ts';
import { tableFromEnv } from '../shared/tableFromEnv.ts';
import * as service from './dataSourceService.ts';

const deps = { table: tableFromEnv() };

/** GET /v1/data-sources: one page, ordered by name. */
async function listDataSources({ query }: HttpInput<unknown, PageQuery, unknown>): Promise<Page<DataSource>> {
  return service.listDataSources(deps, query);
}

export const handler = httpHandler({ query: PageQuerySchema }, listDataSources);
