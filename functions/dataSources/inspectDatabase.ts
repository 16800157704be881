import { DatabasePathSchema, type DatabaseInspection, type DatabasePath } from '../../types/apiDataSources.ts';
import { httpHandler, type HttpInput } from '../shared/http.ts';
import { secretStoreFromEnv } from '../shared/secretStore.ts';
import { tableFromEnv } from '../shared/tableFromEnv.ts';
import { wireProtocolInspector } from './databaseInspector.ts';
import * as service from './dataSourceService.ts';

// The inspector's defaults (8 s to connect, 15 s in all) keep the answer inside the function's 20 s timeout.
const deps = { table: tableFromEnv(), secrets: secretStoreFromEnv(), inspector: wireProtocolInspector() };

/** GET /v1/data-sources/{id}/databases/{database}: whether the database exists on the source's server, and its tables. */
async function inspectDatabase({ path }: HttpInput<DatabasePath, unknown, unknown>): Promise<DatabaseInspection> {
  return service.inspectDatabase(deps, path.id, path.database);
}

export const handler = httpHandler({ path: DatabasePathSchema }, inspectDatabase);
