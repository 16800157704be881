import type { Role } from '../types/roles.ts';
import type { Operation } from './routes.ts';

/**
 * The least role each API operation needs: the one table the IAM policies of the Cognito groups, local mode's
 * API and the console's hidden buttons are all built from (a new route does not compile until it is here).
 */
export const REQUIRED_ROLE = {
  getStats: 'viewer',
  listDataSources: 'viewer',
  getDataSource: 'viewer',
  listSchedules: 'viewer',
  listSourceSchedules: 'viewer',
  getSchedule: 'viewer',
  listBackups: 'viewer',
  listSourceBackups: 'viewer',
  getBackup: 'viewer',
  getBackupLogs: 'viewer',
  listTrash: 'viewer',
  listRestores: 'viewer',
  getRestore: 'viewer',
  getRestoreLogs: 'viewer',
  triggerBackup: 'operator',
  cancelBackup: 'operator',
  verifyBackup: 'operator',
  getDownloadUrl: 'operator',
  trashBackup: 'operator',
  untrashBackup: 'operator',
  testDataSource: 'operator',
  createDataSource: 'admin',
  // Sends a password (the one typed, or a source's stored one) to any host: as much as creating a source does.
  testConnectionSettings: 'admin',
  updateDataSource: 'admin',
  deleteDataSource: 'admin',
  enableDataSource: 'admin',
  disableDataSource: 'admin',
  createSchedule: 'admin',
  updateSchedule: 'admin',
  deleteSchedule: 'admin',
  pauseSchedule: 'admin',
  resumeSchedule: 'admin',
  createRestore: 'admin',
  // Overwrites the target again, exactly as a restore does.
  rollbackRestore: 'admin',
  // What a restore would overwrite: table names of any database on the server, for the role that may restore.
  inspectDatabase: 'admin',
  deleteBackup: 'admin',
  listAudit: 'admin',
} as const satisfies Record<Operation, Role>;
