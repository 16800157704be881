import { contractRoutes, type Operation } from '../types/apiRoutes.ts';
import type { ApiRoute } from './shared/route.ts';

export type { Operation };

/** The file under `functions/` whose `handler` export serves each operation. */
const HANDLERS = {
  listDataSources: 'dataSources/listDataSources.ts',
  createDataSource: 'dataSources/createDataSource.ts',
  testConnectionSettings: 'dataSources/testConnectionSettings.ts',
  getDataSource: 'dataSources/getDataSource.ts',
  updateDataSource: 'dataSources/updateDataSource.ts',
  deleteDataSource: 'dataSources/deleteDataSource.ts',
  enableDataSource: 'dataSources/enableDataSource.ts',
  disableDataSource: 'dataSources/disableDataSource.ts',
  testDataSource: 'dataSources/testDataSource.ts',
  inspectDatabase: 'dataSources/inspectDatabase.ts',
  listSchedules: 'schedules/listSchedules.ts',
  listSourceSchedules: 'schedules/listSourceSchedules.ts',
  createSchedule: 'schedules/createSchedule.ts',
  getSchedule: 'schedules/getSchedule.ts',
  updateSchedule: 'schedules/updateSchedule.ts',
  deleteSchedule: 'schedules/deleteSchedule.ts',
  pauseSchedule: 'schedules/pauseSchedule.ts',
  resumeSchedule: 'schedules/resumeSchedule.ts',
  triggerBackup: 'backups/triggerBackup.ts',
  listSourceBackups: 'backups/listSourceBackups.ts',
  listBackups: 'backups/listBackups.ts',
  getBackup: 'backups/getBackup.ts',
  getBackupLogs: 'backups/getBackupLogs.ts',
  getDownloadUrl: 'backups/getDownloadUrl.ts',
  cancelBackup: 'backups/cancelBackup.ts',
  trashBackup: 'backups/trashBackup.ts',
  untrashBackup: 'backups/untrashBackup.ts',
  deleteBackup: 'backups/deleteBackup.ts',
  verifyBackup: 'backups/verifyBackup.ts',
  listTrash: 'backups/listTrash.ts',
  createRestore: 'restores/createRestore.ts',
  listRestores: 'restores/listRestores.ts',
  getRestore: 'restores/getRestore.ts',
  rollbackRestore: 'restores/rollbackRestore.ts',
  getRestoreLogs: 'restores/getRestoreLogs.ts',
  getStats: 'stats/getStats.ts',
  listAudit: 'audit/listAudit.ts',
} as const satisfies Record<Operation, string>;

/**
 * Every route of the API: the contract of types/apiRoutes.ts with the handler file of each operation. The CDK Api
 * construct (whose Lambdas each serve the operations needing the same grants) and local mode both mount this list.
 */
export const apiRoutes = contractRoutes.map((route) => ({
  ...route,
  handler: HANDLERS[route.operation],
})) satisfies readonly ApiRoute[];
