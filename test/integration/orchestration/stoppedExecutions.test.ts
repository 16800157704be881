import { beforeAll, describe, expect, it } from 'vitest';
import { recordStoppedExecutionStep } from '../../../functions/orchestration/stoppedExecutions.ts';
import {
  getBackupRecord,
  getRunningLock,
  putBackupRecords,
  runningLockPut,
} from '../../../functions/shared/repositories/backups.ts';
import { transactNamedItems } from '../../../functions/shared/repositories/transactions.ts';
import {
  getRestoreLock,
  getRestoreRecord,
  newRestorePut,
  restoreLockPut,
} from '../../../functions/shared/repositories/restores.ts';
import type { TableRef } from '../../../functions/shared/repositories/table.ts';
import type { StoppedExecutionEvent } from '../../../types/orchestration.ts';
import type { Restore } from '../../../types/restore.ts';
import { useTestTable } from '../../support/api.ts';
import { backupRecord, seedSource } from '../api/backupApi.ts';

const BACKUP_MACHINE = 'arn:aws:states:us-east-1:123456789012:stateMachine:Backup';
const RESTORE_MACHINE = 'arn:aws:states:us-east-1:123456789012:stateMachine:Restore';

const event = (
  stateMachineArn: string,
  name: string,
  status: StoppedExecutionEvent['detail']['status'],
): StoppedExecutionEvent => ({
  source: 'aws.states',
  detail: {
    executionArn: `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`,
    stateMachineArn,
    name,
    status,
  },
});

/** Executions that end without recording their outcome (console stop, timeout) still end their record. */
describe('stopped Backup and Restore executions', () => {
  let table: TableRef;
  const deps = () => ({
    table,
    now: () => new Date(),
    backupStateMachineArn: BACKUP_MACHINE,
    restoreStateMachineArn: RESTORE_MACHINE,
  });

  async function runningBackup(id: string, sourceId: string): Promise<void> {
    await seedSource(table, sourceId);
    await putBackupRecords(table, [
      backupRecord({ id, sourceId, status: 'running', startedAt: new Date().toISOString() }),
    ]);
    await transactNamedItems(table, {
      lock: runningLockPut(table, { sourceId, backupId: id, since: new Date().toISOString(), database: 'shop' }),
    });
  }

  beforeAll(async () => {
    table = await useTestTable();
  });

  it('marks a backup stopped from the console cancelled, and frees its source', async () => {
    await runningBackup('stopped-1', 'src-stop');
    expect(await recordStoppedExecutionStep(deps(), event(BACKUP_MACHINE, 'stopped-1', 'ABORTED'))).toEqual({
      recorded: true,
    });
    expect(await getBackupRecord(table, 'stopped-1')).toMatchObject({
      status: 'cancelled',
      error: 'its execution was stopped outside Keepsake (Step Functions console or API)',
    });
    expect(await getRunningLock(table, 'src-stop')).toBeUndefined();
  });

  it('marks a timed-out backup failed, and leaves an ended one as it was', async () => {
    await runningBackup('timed-out', 'src-time');
    await recordStoppedExecutionStep(deps(), event(BACKUP_MACHINE, 'timed-out', 'TIMED_OUT'));
    expect(await getBackupRecord(table, 'timed-out')).toMatchObject({
      status: 'failed',
      error: 'its execution ran out of time',
    });
    expect(await recordStoppedExecutionStep(deps(), event(BACKUP_MACHINE, 'timed-out', 'ABORTED'))).toEqual({
      recorded: false,
    });
    expect((await getBackupRecord(table, 'timed-out'))?.status).toBe('failed');
  });

  it('fails a restore whose execution stopped, releasing its target', async () => {
    await seedSource(table, 'target');
    const restore: Restore = {
      id: 'restore-stopped',
      backupId: 'b',
      sourceId: 'src',
      targetSourceId: 'target',
      targetDatabase: 'shop',
      status: 'running',
      requestedBy: 'test',
      createdAt: new Date().toISOString(),
    };
    await transactNamedItems(table, { restore: newRestorePut(table, restore), lock: restoreLockPut(table, restore) });
    expect(await recordStoppedExecutionStep(deps(), event(RESTORE_MACHINE, 'restore-stopped', 'ABORTED'))).toEqual({
      recorded: true,
    });
    expect(await getRestoreRecord(table, 'restore-stopped')).toMatchObject({
      status: 'failed',
      error: 'its execution was stopped outside Keepsake (Step Functions console or API)',
    });
    expect(await getRestoreLock(table, 'target', 'shop')).toBeUndefined();
  });

  it('ignores executions of other machines', async () => {
    expect(
      await recordStoppedExecutionStep(
        deps(),
        event('arn:aws:states:us-east-1:123456789012:stateMachine:Other', 'x', 'FAILED'),
      ),
    ).toEqual({ recorded: false });
  });
});
