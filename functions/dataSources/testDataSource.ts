import { IdPathSchema } from '../../types/api.ts';
import type { ConnectionTestResult, IdPath } from '../../types/apiDataSources.ts';
import { httpHandler, type HttpInput } from '../shared/http.ts';
import { secretStoreFromEnv } from '../shared/secretStore.ts';
import { tableFromEnv } from '../shared/tableFromEnv.ts';
import { wireProtocolTester } from './connectionTester.ts';
import * as service from './dataSourceService.ts';

// The tester's defaults (8 s to connect, 10 s in all) keep the answer well inside the function's 20 s timeout.
const deps = { table: tableFromEnv(), secrets: secretStoreFromEnv(), tester: wireProtocolTester() };

/** POST /v1/data-sources/{id}/test: connects with the stored credentials; ok + server version, or why not. */
async function testDataSource({ path }: HttpInput<IdPath, unknown, unknown>): Promise<ConnectionTestResult> {
  return service.testDataSourceConnection(deps, path.id);
}

export const handler = httpHandler({ path: IdPathSchema }, testDataSource);
