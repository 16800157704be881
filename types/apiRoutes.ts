import * as z from 'zod';
import { IdPathSchema, PageQuerySchema } from './api.ts';
import { AuditPageSchema, ListAuditQuerySchema } from './apiAudit.ts';
import {
  ConnectionTestResultSchema,
  DatabaseInspectionSchema,
  DatabasePathSchema,
  DataSourcePageSchema,
  DeleteDataSourceQuerySchema,
  TestConnectionSettingsSchema,
} from './apiDataSources.ts';
import { BackupSchema, TrashPageSchema } from './backup.ts';
import {
  BackupPageSchema,
  DownloadUrlResponseSchema,
  ListBackupsQuerySchema,
  ListTrashQuerySchema,
  SourceBackupsQuerySchema,
  TriggerBackupBodySchema,
  TriggerBackupResponseSchema,
  VerifyBackupResponseSchema,
} from './backupApi.ts';
import { CreateDataSourceSchema, DataSourceSchema, UpdateDataSourceSchema } from './dataSource.ts';
import { LogPageQuerySchema, LogPageSchema } from './jobLogs.ts';
import {
  CreateRestoreResponseSchema,
  CreateRestoreSchema,
  ListedRestoreSchema,
  ListRestoresQuerySchema,
  RestorePageSchema,
  RollbackRestoreSchema,
} from './restore.ts';
import { CreateScheduleSchema, SchedulePageSchema, ScheduleSchema, UpdateScheduleSchema } from './schedule.ts';
import { StatsResponseSchema } from './stats.ts';

/**
 * One operation of the API as both sides see it: where it lives (`path` is the API Gateway resource, `{id}`
 * parameters), what it takes (`params` = the path parameters, `query`, `body`) and what it answers with `status`.
 * A 204 answers nothing (`response` is `z.undefined()`).
 */
export interface RouteContract {
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  readonly path: string;
  readonly params?: z.ZodType;
  readonly query?: z.ZodType;
  readonly body?: z.ZodType;
  readonly status: 200 | 201 | 202 | 204;
  readonly response: z.ZodType;
}

const NO_CONTENT = z.undefined();

/**
 * The API's contract, operation by operation: the handlers parse their input with these schemas, and
 * `createApiClient` (types/apiClient.ts) derives one typed method per operation from it. Free of Lambda code, so
 * the console and the CLI import it; `functions/routes.ts` adds the handler file of each operation.
 */
export const apiContract = {
  listDataSources: {
    method: 'GET',
    path: '/v1/data-sources',
    query: PageQuerySchema,
    status: 200,
    response: DataSourcePageSchema,
  },
  createDataSource: {
    method: 'POST',
    path: '/v1/data-sources',
    body: CreateDataSourceSchema,
    status: 201,
    response: DataSourceSchema,
  },
  testConnectionSettings: {
    method: 'POST',
    path: '/v1/data-sources/test',
    body: TestConnectionSettingsSchema,
    status: 200,
    response: ConnectionTestResultSchema,
  },
  getDataSource: {
    method: 'GET',
    path: '/v1/data-sources/{id}',
    params: IdPathSchema,
    status: 200,
    response: DataSourceSchema,
  },
  updateDataSource: {
    method: 'PATCH',
    path: '/v1/data-sources/{id}',
    params: IdPathSchema,
    body: UpdateDataSourceSchema,
    status: 200,
    response: DataSourceSchema,
  },
  deleteDataSource: {
    method: 'DELETE',
    path: '/v1/data-sources/{id}',
    params: IdPathSchema,
    query: DeleteDataSourceQuerySchema,
    status: 204,
    response: NO_CONTENT,
  },
  enableDataSource: {
    method: 'POST',
    path: '/v1/data-sources/{id}/enable',
    params: IdPathSchema,
    status: 200,
    response: DataSourceSchema,
  },
  disableDataSource: {
    method: 'POST',
    path: '/v1/data-sources/{id}/disable',
    params: IdPathSchema,
    status: 200,
    response: DataSourceSchema,
  },
  testDataSource: {
    method: 'POST',
    path: '/v1/data-sources/{id}/test',
    params: IdPathSchema,
    status: 200,
    response: ConnectionTestResultSchema,
  },
  inspectDatabase: {
    method: 'GET',
    path: '/v1/data-sources/{id}/databases/{database}',
    params: DatabasePathSchema,
    status: 200,
    response: DatabaseInspectionSchema,
  },
  listSchedules: {
    method: 'GET',
    path: '/v1/schedules',
    query: PageQuerySchema,
    status: 200,
    response: SchedulePageSchema,
  },
  listSourceSchedules: {
    method: 'GET',
    path: '/v1/data-sources/{id}/schedules',
    params: IdPathSchema,
    query: PageQuerySchema,
    status: 200,
    response: SchedulePageSchema,
  },
  createSchedule: {
    method: 'POST',
    path: '/v1/data-sources/{id}/schedules',
    params: IdPathSchema,
    body: CreateScheduleSchema,
    status: 201,
    response: ScheduleSchema,
  },
  getSchedule: {
    method: 'GET',
    path: '/v1/schedules/{id}',
    params: IdPathSchema,
    status: 200,
    response: ScheduleSchema,
  },
  updateSchedule: {
    method: 'PATCH',
    path: '/v1/schedules/{id}',
    params: IdPathSchema,
    body: UpdateScheduleSchema,
    status: 200,
    response: ScheduleSchema,
  },
  deleteSchedule: {
    method: 'DELETE',
    path: '/v1/schedules/{id}',
    params: IdPathSchema,
    status: 204,
    response: NO_CONTENT,
  },
  pauseSchedule: {
    method: 'POST',
    path: '/v1/schedules/{id}/pause',
    params: IdPathSchema,
    status: 200,
    response: ScheduleSchema,
  },
  resumeSchedule: {
    method: 'POST',
    path: '/v1/schedules/{id}/resume',
    params: IdPathSchema,
    status: 200,
    response: ScheduleSchema,
  },
  triggerBackup: {
    method: 'POST',
    path: '/v1/data-sources/{id}/backups',
    params: IdPathSchema,
    body: TriggerBackupBodySchema,
    status: 202,
    response: TriggerBackupResponseSchema,
  },
  listSourceBackups: {
    method: 'GET',
    path: '/v1/data-sources/{id}/backups',
    params: IdPathSchema,
    query: SourceBackupsQuerySchema,
    status: 200,
    response: BackupPageSchema,
  },
  listBackups: {
    method: 'GET',
    path: '/v1/backups',
    query: ListBackupsQuerySchema,
    status: 200,
    response: BackupPageSchema,
  },
  getBackup: { method: 'GET', path: '/v1/backups/{id}', params: IdPathSchema, status: 200, response: BackupSchema },
  getBackupLogs: {
    method: 'GET',
    path: '/v1/backups/{id}/logs',
    params: IdPathSchema,
    query: LogPageQuerySchema,
    status: 200,
    response: LogPageSchema,
  },
  getDownloadUrl: {
    method: 'GET',
    path: '/v1/backups/{id}/download-url',
    params: IdPathSchema,
    status: 200,
    response: DownloadUrlResponseSchema,
  },
  cancelBackup: {
    method: 'POST',
    path: '/v1/backups/{id}/cancel',
    params: IdPathSchema,
    status: 200,
    response: BackupSchema,
  },
  trashBackup: {
    method: 'POST',
    path: '/v1/backups/{id}/trash',
    params: IdPathSchema,
    status: 200,
    response: BackupSchema,
  },
  untrashBackup: {
    method: 'POST',
    path: '/v1/backups/{id}/untrash',
    params: IdPathSchema,
    status: 200,
    response: BackupSchema,
  },
  deleteBackup: {
    method: 'DELETE',
    path: '/v1/backups/{id}',
    params: IdPathSchema,
    status: 204,
    response: NO_CONTENT,
  },
  verifyBackup: {
    method: 'POST',
    path: '/v1/backups/{id}/verify',
    params: IdPathSchema,
    status: 202,
    response: VerifyBackupResponseSchema,
  },
  listTrash: { method: 'GET', path: '/v1/trash', query: ListTrashQuerySchema, status: 200, response: TrashPageSchema },
  createRestore: {
    method: 'POST',
    path: '/v1/restores',
    body: CreateRestoreSchema,
    status: 202,
    response: CreateRestoreResponseSchema,
  },
  listRestores: {
    method: 'GET',
    path: '/v1/restores',
    query: ListRestoresQuerySchema,
    status: 200,
    response: RestorePageSchema,
  },
  getRestore: {
    method: 'GET',
    path: '/v1/restores/{id}',
    params: IdPathSchema,
    status: 200,
    response: ListedRestoreSchema,
  },
  rollbackRestore: {
    method: 'POST',
    path: '/v1/restores/{id}/rollback',
    params: IdPathSchema,
    body: RollbackRestoreSchema,
    status: 202,
    response: CreateRestoreResponseSchema,
  },
  getRestoreLogs: {
    method: 'GET',
    path: '/v1/restores/{id}/logs',
    params: IdPathSchema,
    query: LogPageQuerySchema,
    status: 200,
    response: LogPageSchema,
  },
  getStats: { method: 'GET', path: '/v1/stats', status: 200, response: StatsResponseSchema },
  listAudit: { method: 'GET', path: '/v1/audit', query: ListAuditQuerySchema, status: 200, response: AuditPageSchema },
} as const satisfies Record<string, RouteContract>;

export type ApiContract = typeof apiContract;
export type Operation = keyof ApiContract;

/** The contract as a list, in the order routes are matched (a literal segment before a `{parameter}`). */
export const contractRoutes = (Object.keys(apiContract) as Operation[]).map((operation) => ({
  operation,
  ...apiContract[operation],
}));
