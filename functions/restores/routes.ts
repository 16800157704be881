import type { ApiRoute } from '../shared/route.ts';

/** The restore routes; `handler` is relative to `functions/`. */
export const restoreRoutes = [
  { operation: 'createRestore', method: 'POST', path: '/v1/restores', handler: 'restores/createRestore.ts' },
  { operation: 'listRestores', method: 'GET', path: '/v1/restores', handler: 'restores/listRestores.ts' },
  { operation: 'getRestore', method: 'GET', path: '/v1/restores/{id}', handler: 'restores/getRestore.ts' },
  {
    operation: 'rollbackRestore',
    method: 'POST',
    path: '/v1/restores/{id}/rollback',
    handler: 'restores/rollbackRestore.ts',
  },
  { operation: 'getRestoreLogs', method: 'GET', path: '/v1/restores/{id}/logs', handler: 'restores/getRestoreLogs.ts' },
] as const satisfies readonly ApiRoute[];
