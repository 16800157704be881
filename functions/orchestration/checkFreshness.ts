import { IgnoredTaskInputSchema, type FreshnessReport } from '../../types/orchestration.ts';
import { tableFromEnv } from '../shared/tableFromEnv.ts';
import { taskHandler } from '../shared/task.ts';
import { findStaleSources, staleSourcesMetric } from './freshness.ts';

const deps = { table: tableFromEnv(), now: () => new Date() };

/** Hourly, from EventBridge Scheduler: counts stale sources into the metric the staleness alarm watches. */
async function checkFreshness(): Promise<FreshnessReport> {
  const report = await findStaleSources(deps);
  process.stdout.write(`${staleSourcesMetric(report, deps.now())}\n`);
  return report;
}

export const handler = taskHandler(IgnoredTaskInputSchema, checkFreshness);
