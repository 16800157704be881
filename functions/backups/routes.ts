import type { ApiRoute } from '../shared/route.ts';

/** The backup and trash routes; `handler` is relative to `functions/`. */
export const backupRoutes = [
  {
    operation: 'triggerBackup',
    method: 'POST',
    path: '/v1/data-sources/{id}/backups',
    handler: 'backups/triggerBackup.ts',
  },
  {
    operation: 'listSourceBackups',
    method: 'GET',
    path: '/v1/data-sources/{id}/backups',
    handler: 'backups/listSourceBackups.ts',
  },
  { operation: 'listBackups', method: 'GET', path: '/v1/backups', handler: 'backups/listBackups.ts' },
  { operation: 'getBackup', method: 'GET', path: '/v1/backups/{id}', handler: 'backups/getBackup.ts' },
  { operation: 'getBackupLogs', method: 'GET', path: '/v1/backups/{id}/logs', handler: 'backups/getBackupLogs.ts' },
  {
    operation: 'getDownloadUrl',
    method: 'GET',
    path: '/v1/backups/{id}/download-url',
    handler: 'backups/getDownloadUrl.ts',
  },
  { operation: 'cancelBackup', method: 'POST', path: '/v1/backups/{id}/cancel', handler: 'backups/cancelBackup.ts' },
  { operation: 'trashBackup', method: 'POST', path: '/v1/backups/{id}/trash', handler: 'backups/trashBackup.ts' },
  { operation: 'untrashBackup', method: 'POST', path: '/v1/backups/{id}/untrash', handler: 'backups/untrashBackup.ts' },
  { operation: 'deleteBackup', method: 'DELETE', path: '/v1/backups/{id}', handler: 'backups/deleteBackup.ts' },
  { operation: 'verifyBackup', method: 'POST', path: '/v1/backups/{id}/verify', handler: 'backups/verifyBackup.ts' },
  { operation: 'listTrash', method: 'GET', path: '/v1/trash', handler: 'backups/listTrash.ts' },
] as const satisfies readonly ApiRoute[];
