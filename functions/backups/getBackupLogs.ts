import { IdPathSchema } from '../../types/api.ts';
import { LogPageQuerySchema, type LogPage, type LogPageQuery } from '../../types/jobLogs.ts';
import { logsClient } from '../shared/clients.ts';
import { httpHandler, type HttpInput } from '../shared/http.ts';
import { jobLogsFromEnv } from '../shared/jobLogs.ts';
import { tableFromEnv } from '../shared/tableFromEnv.ts';
import * as queries from './backupQueries.ts';

const deps = { table: tableFromEnv(), logs: jobLogsFromEnv(logsClient) };

/** GET /v1/backups/{id}/logs?cursor=…: the runner's log lines after the cursor; the console polls it while the backup runs. */
async function getBackupLogs({ path, query }: HttpInput<{ id: string }, LogPageQuery, unknown>): Promise<LogPage> {
  return queries.getBackupLogs(deps, path.id, query.cursor);
}

export const handler = httpHandler({ path: IdPathSchema, query: LogPageQuerySchema }, getBackupLogs);
