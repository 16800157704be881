import { IdPathSchema } from '../../types/api.ts';
import { LogPageQuerySchema, type LogPage, type LogPageQuery } from '../../types/jobLogs.ts';
import { logsClient } from '../shared/clients.ts';
import { requireEnv } from '../shared/env.ts';
import { httpHandler, type HttpInput } from '../shared/http.ts';
import { jobLogsFromEnv } from '../shared/jobLogs.ts';
import { tableFromEnv } from '../shared/tableFromEnv.ts';
import * as service from './restoreService.ts';

const deps = {
  table: tableFromEnv(),
  logs: jobLogsFromEnv(logsClient),
  stateMachineArn: requireEnv('RESTORE_STATE_MACHINE_ARN'),
};

/** GET /v1/restores/{id}/logs?cursor=…: the runner's log lines after the cursor; the console polls it while the restore runs. */
async function getRestoreLogs({ path, query }: HttpInput<{ id: string }, LogPageQuery, unknown>): Promise<LogPage> {
  return service.getRestoreLogs(deps, path.id, query.cursor);
}

export const handler = httpHandler({ path: IdPathSchema, query: LogPageQuerySchema }, getRestoreLogs);
