import type { ApiRoute } from '../shared/route.ts';

/** The data-source routes; `handler` is relative to `functions/`. */
export const dataSourceRoutes = [
  { operation: 'listDataSources', method: 'GET', path: '/v1/data-sources', handler: 'dataSources/listDataSources.ts' },
  {
    operation: 'createDataSource',
    method: 'POST',
    path: '/v1/data-sources',
    handler: 'dataSources/createDataSource.ts',
  },
  {
    operation: 'testConnectionSettings',
    method: 'POST',
    path: '/v1/data-sources/test',
    handler: 'dataSources/testConnectionSettings.ts',
  },
  { operation: 'getDataSource', method: 'GET', path: '/v1/data-sources/{id}', handler: 'dataSources/getDataSource.ts' },
  {
    operation: 'updateDataSource',
    method: 'PATCH',
    path: '/v1/data-sources/{id}',
    handler: 'dataSources/updateDataSource.ts',
  },
  {
    operation: 'deleteDataSource',
    method: 'DELETE',
    path: '/v1/data-sources/{id}',
    handler: 'dataSources/deleteDataSource.ts',
  },
  {
    operation: 'enableDataSource',
    method: 'POST',
    path: '/v1/data-sources/{id}/enable',
    handler: 'dataSources/enableDataSource.ts',
  },
  {
    operation: 'disableDataSource',
    method: 'POST',
    path: '/v1/data-sources/{id}/disable',
    handler: 'dataSources/disableDataSource.ts',
  },
  {
    operation: 'testDataSource',
    method: 'POST',
    path: '/v1/data-sources/{id}/test',
    handler: 'dataSources/testDataSource.ts',
  },
  {
    operation: 'inspectDatabase',
    method: 'GET',
    path: '/v1/data-sources/{id}/databases/{database}',
    handler: 'dataSources/inspectDatabase.ts',
  },
] as const satisfies readonly ApiRoute[];
