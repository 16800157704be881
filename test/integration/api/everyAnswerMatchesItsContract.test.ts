import { beforeAll, describe, expect, it } from 'vitest';
import { putBackupRecords } from '../../../functions/shared/repositories/backups.ts';
import type { ApiClient } from '../../../types/apiClient.ts';
import { apiContract, type Operation } from '../../../types/apiRoutes.ts';
import { startEveryRoute, type EveryRoute } from '../../support/everyRoute.ts';
import { backupRecord } from './backupApi.ts';
import { sourceBody } from './dataSourceApi.ts';

let every: EveryRoute;
const answered = new Set<Operation>();

/** The client, noting each operation that answered 2xx (and so parsed with its response schema). */
const tracked = (api: ApiClient): ApiClient =>
  new Proxy(api, {
    get(target, name: string) {
      const value = Reflect.get(target, name) as unknown;
      if (typeof value !== 'function' || !(name in apiContract)) return value;
      return async (...args: unknown[]) => {
        const answer = await (value as (...a: unknown[]) => Promise<unknown>)(...args);
        answered.add(name as Operation);
        return answer;
      };
    },
  });

beforeAll(async () => {
  every = await startEveryRoute();
});

describe('every handler answers what its contract says', () => {
  it('parses each answer with the route response schema, operation by operation', async () => {
    const api = tracked(every.api);
    const closed = { host: '127.0.0.1', port: 9 };
    const source = await api.createDataSource(sourceBody({ name: 'Contract shop', ...closed }) as never);
    await api.getDataSource({ id: source.id });
    await api.listDataSources();
    await api.updateDataSource({ id: source.id }, { name: 'Contract shop 2' });
    await api.disableDataSource({ id: source.id });
    await api.enableDataSource({ id: source.id });
    await api.testDataSource({ id: source.id });
    await api.testConnectionSettings({ ...sourceBody(closed), engine: 'mysql' } as never);
    await api.inspectDatabase({ id: source.id, database: 'shop' }).catch(() => undefined);

    const schedule = await api.createSchedule({ id: source.id }, { cron: '0 3 * * *', timeZone: 'UTC' });
    await api.getSchedule({ id: schedule.id });
    await api.listSchedules();
    await api.listSourceSchedules({ id: source.id });
    await api.updateSchedule({ id: schedule.id }, { name: 'nightly' });
    await api.pauseSchedule({ id: schedule.id });
    await api.resumeSchedule({ id: schedule.id });
    await api.deleteSchedule({ id: schedule.id });

    const { backupId } = await api.triggerBackup({ id: source.id }, {});
    await api.getBackup({ id: backupId });
    await api.getBackupLogs({ id: backupId });
    await api.cancelBackup({ id: backupId });
    const done = backupRecord({ sourceId: source.id, createdAt: '2026-01-02T03:00:00.000Z' });
    await putBackupRecords(every.table, [done]);
    await api.listBackups({ sourceId: source.id });
    await api.listSourceBackups({ id: source.id, status: 'succeeded' });
    await api.getDownloadUrl({ id: done.id });
    await api.verifyBackup({ id: done.id });

    const { restoreId } = await api.createRestore({
      backupId: done.id,
      targetSourceId: source.id,
      targetDatabase: 'shop',
      confirmDatabase: 'shop',
    });
    await api.getRestore({ id: restoreId });
    await api.listRestores();
    await api.getRestoreLogs({ id: restoreId });
    await api.rollbackRestore({ id: restoreId }, { confirmDatabase: 'shop' }).catch(() => undefined);

    await api.trashBackup({ id: done.id });
    await api.listTrash();
    await api.untrashBackup({ id: done.id });
    await api.trashBackup({ id: done.id });
    await api.deleteBackup({ id: done.id });
    await api.getStats();
    await api.listAudit({ targetType: 'dataSource', targetId: source.id });
    await api.deleteDataSource({ id: source.id, force: 'true' });

    // Answer 2xx only against a live server (inspectDatabase) or a restore that failed after its safety backup
    // (rollbackRestore); their answers are checked by databaseInspection and rollbackRestoresTheSafetyBackupOnce.
    const notReachedHere: Operation[] = ['inspectDatabase', 'rollbackRestore'];
    const missing = (Object.keys(apiContract) as Operation[]).filter(
      (operation) => !answered.has(operation) && !notReachedHere.includes(operation),
    );
    expect(missing).toEqual([]);
  }, 60_000);
});
