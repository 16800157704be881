import type { ApiRoute } from '../shared/route.ts';

/** The dashboard route; `handler` is relative to `functions/`. */
export const statsRoutes = [
  { operation: 'getStats', method: 'GET', path: '/v1/stats', handler: 'stats/getStats.ts' },
] as const satisfies readonly ApiRoute[];
