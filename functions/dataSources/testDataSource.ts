import { IdPathSchema } from '../../types/api.ts';
import type { ConnectionTestResult, IdPath } from '../../types/apiDataSources.ts';
import { httpHandler, type HttpInput } from '../shared/http.ts';
import { secretStoreFromEnv } from '../shared/secretStore.ts';
import { tableFromEnv } from '../shared/tableFromEnv.ts';
import { mysqlClientTester } from './connectionTester.ts';
import * as service from './service.ts';

const deps = { table: tableFromEnv(), secrets: secretStoreFromEnv(), tester: mysqlClientTester({ connectTimeoutSeconds: 8 }) };

/** POST /v1/data-sources/{id}/test: connects with the stored credentials; ok + server version, or why not. */
async function testDataSource({ path }: HttpInput<IdPath, unknown, unknown>): Promise<ConnectionTestResult> {
  return service.testDataSourceConnection(deps, path.id);
}

export const handler = httpHandler({ path: IdPathSchema }, testDataSource);
