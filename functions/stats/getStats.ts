import type { StatsResponse } from '../../types/stats.ts';
import { httpHandler } from '../shared/http.ts';
import { tableFromEnv } from '../shared/tableFromEnv.ts';
import * as service from './statsService.ts';

const deps = { table: tableFromEnv(), now: () => new Date() };

/** GET /v1/stats: the dashboard's counts, stored bytes and last backups, from aggregates kept on write. */
async function getStats(): Promise<StatsResponse> {
  return service.getStats(deps);
}

export const handler = httpHandler({}, getStats);
