import { auditRoutes } from './audit/routes.ts';
import { backupRoutes } from './backups/routes.ts';
import { dataSourceRoutes } from './dataSources/routes.ts';
import { restoreRoutes } from './restores/routes.ts';
import { scheduleRoutes } from './schedules/routes.ts';
import type { ApiRoute } from './shared/route.ts';
import { statsRoutes } from './stats/routes.ts';

/**
 * Every route of the API, one handler file per operation: the CDK Api construct (whose Lambdas each serve the operations
 * needing the same grants) and local mode both mount this list.
 */
export const apiRoutes = [
  ...dataSourceRoutes,
  ...scheduleRoutes,
  ...backupRoutes,
  ...restoreRoutes,
  ...statsRoutes,
  ...auditRoutes,
] as const satisfies readonly ApiRoute[];

export type Operation = (typeof apiRoutes)[number]['operation'];
