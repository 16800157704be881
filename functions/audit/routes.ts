import type { ApiRoute } from '../shared/route.ts';

/** The audit route; `handler` is relative to `functions/`. */
export const auditRoutes = [
  { operation: 'listAudit', method: 'GET', path: '/v1/audit', handler: 'audit/listAudit.ts' },
] as const satisfies readonly ApiRoute[];
