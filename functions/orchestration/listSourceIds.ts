import { ListSourceIdsTaskSchema, type SourceIds } from '../../types/retention.ts';
import * as service from '../retention/retentionService.ts';
import { tableFromEnv } from '../shared/tableFromEnv.ts';
import { taskHandler } from '../shared/task.ts';

const table = tableFromEnv();

/** Sweeper, first step: every data source's id, for the Map state that applies retention to each. */
async function listSourceIds(): Promise<SourceIds> {
  return { sourceIds: await service.listSourceIds(table) };
}

export const handler = taskHandler(ListSourceIdsTaskSchema, listSourceIds);
