import type { StoppedExecutionEvent } from '../../types/orchestration.ts';
import { recordBackupOutcome } from '../backups/runService.ts';
import { recordRestoreOutcome } from '../restores/restoreService.ts';
import { getBackupRecord } from '../shared/repositories/backups.ts';
import { getRestoreRecord } from '../shared/repositories/restores.ts';
import type { TableRef } from '../shared/repositories/table.ts';
import { backupIdOfExecution } from './backupSteps.ts';

export interface StoppedExecutionDeps {
  readonly table: TableRef;
  readonly now: () => Date;
  readonly backupStateMachineArn: string;
  readonly restoreStateMachineArn: string;
}

const WHY = {
  ABORTED: 'its execution was stopped outside Keepsake (Step Functions console or API)',
  TIMED_OUT: 'its execution ran out of time',
  FAILED: 'its execution failed before the reason could be recorded (see the Step Functions history)',
} as const;

/**
 * Ends the record of a Backup or Restore execution that stopped without recording its outcome, so nothing
 * stays `running` forever: stopped → cancelled (backups) or failed, timed out or failed → failed. A record that
 * already ended (the machine recorded it, or the API cancelled it) is left as it is.
 */
export async function recordStoppedExecutionStep(
  deps: StoppedExecutionDeps,
  event: StoppedExecutionEvent,
): Promise<{ recorded: boolean }> {
  const { detail } = event;
  const reason = detail.cause ? detail.cause.slice(0, 1000) : WHY[detail.status];
  if (detail.stateMachineArn === deps.backupStateMachineArn) {
    const backupId = backupIdOfExecution(detail.name);
    const record = await getBackupRecord(deps.table, backupId);
    if (!record || (record.status !== 'queued' && record.status !== 'running')) return { recorded: false };
    const outcome =
      detail.status === 'ABORTED'
        ? { status: 'cancelled' as const, error: reason }
        : { status: 'failed' as const, error: reason };
    await recordBackupOutcome(deps, { backupId, outcome });
    return { recorded: true };
  }
  if (detail.stateMachineArn === deps.restoreStateMachineArn) {
    const restore = await getRestoreRecord(deps.table, detail.name);
    if (!restore || (restore.status !== 'queued' && restore.status !== 'running')) return { recorded: false };
    await recordRestoreOutcome(deps, restore.id, {
      status: 'failed',
      error: reason,
      ...(restore.safetyBackupKey && { safetyBackupKey: restore.safetyBackupKey }),
    });
    return { recorded: true };
  }
  return { recorded: false };
}
