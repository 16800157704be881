import { StartExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import type { RestoreExecutionInput } from '../../types/orchestration.ts';
import { randomUUID } from 'node:crypto';
import type { Page } from '../../types/api.ts';
import type { LogPage } from '../../types/jobLogs.ts';
import type {
  CreateRestore,
  CreateRestoreResponse,
  ListRestoresQuery,
  Restore,
  RestoreOutcome,
  RollbackRestore,
} from '../../types/restore.ts';
import { Conflict, Invalid, NotFound, Upstream } from '../shared/errors.ts';
import { logPageOf, type JobLogs } from '../shared/jobLogs.ts';
import { keys } from '../shared/keys.ts';
import { logger } from '../shared/logger.ts';
import { auditItem } from '../shared/repositories/audit.ts';
import {
  getBackupRecord,
  getRunningLock,
  type BackupRecord,
  runningLockCheck,
  sourceExistsCheck,
  succeededBackupCheck,
} from '../shared/repositories/backups.ts';
import { getDataSource } from '../shared/repositories/dataSources.ts';
import {
  getRestoreLock,
  getRestoreRecord,
  listRestores,
  newRestorePut,
  queuedRestoreDelete,
  restoreLockPut,
  restoreLockRelease,
  restoreStatusUpdate,
  rolledBackByRemove,
  rolledBackByUpdate,
} from '../shared/repositories/restores.ts';
import type { TableRef } from '../shared/repositories/table.ts';
import { TransactionCancelled, transactNamedItems } from '../shared/repositories/transactions.ts';
import { describeAwsError, executionArnOf } from '../shared/stepFunctions.ts';

export interface RestoreDeps {
  readonly table: TableRef;
  readonly sfn: SFNClient;
  /** The Restore state machine (env RESTORE_STATE_MACHINE_ARN). */
  readonly stateMachineArn: string;
  readonly now: () => Date;
  readonly newId?: () => string;
}

/**
 * Starts a restore of a succeeded backup into a database of a data source. The record (queued) and the audit
 * event are written in one transaction that also checks the backup is still succeeded and out of the trash,
 * the target still exists, and takes the target database's lock, which no restore into it and no backup of it
 * may hold (the lock folds case: see `databaseLockName`); then the Restore state machine is started under the restore's id. If Step
 * Functions refuses, both are removed again and the caller gets a 502.
 */
export async function createRestore(
  deps: RestoreDeps,
  body: CreateRestore,
  principal: string,
): Promise<CreateRestoreResponse> {
  const backup = await getBackupRecord(deps.table, body.backupId);
  if (!backup) throw new NotFound('backup', body.backupId);
  if (backup.status !== 'succeeded' || backup.trashedAt) throw new Conflict(unrestorable(backup));
  if (!(await getDataSource(deps.table, body.targetSourceId))) throw new NotFound('data source', body.targetSourceId);
  const restore: Restore = {
    ...newRestore(deps, backup, body, principal),
    rollbackOnFailure: body.rollbackOnFailure ?? false,
  };
  return startRestore(deps, restore, {
    action: 'restore.start',
    summary: `backup ${backup.id} into data source ${restore.targetSourceId}, database ${restore.targetDatabase}`,
  });
}

/**
 * Rolls a finished restore back: a new restore (`rollbackOf`) of its safety backup into the same target, which
 * takes its own safety backup first like any restore. The same transaction marks the original `rolledBackBy`, on
 * condition that it is still unmarked and ended, so a restore is rolled back once.
 */
export async function rollbackRestore(
  deps: RestoreDeps,
  request: RollbackRestore & { restoreId: string },
  principal: string,
): Promise<CreateRestoreResponse> {
  const original = await getRestore(deps.table, request.restoreId);
  if (request.confirmDatabase !== original.targetDatabase) {
    const why = "must repeat the restore's targetDatabase exactly";
    throw new Invalid(`invalid body: confirmDatabase: ${why}`, { confirmDatabase: why });
  }
  const safety = await rollbackSource(deps.table, original);
  const restore: Restore = {
    ...newRestore(deps, safety, original, principal),
    rollbackOf: original.id,
    rollbackOnFailure: false,
  };
  return startRestore(
    deps,
    restore,
    {
      action: 'restore.rollback',
      summary: `restore ${original.id} rolled back: its safety backup ${safety.id} into data source ${restore.targetSourceId}, database ${restore.targetDatabase}`,
    },
    original,
  );
}

/** The safety backup a rollback of `original` restores, or a 409 saying why there is none to restore. */
async function rollbackSource(table: TableRef, original: Restore): Promise<BackupRecord> {
  if (original.rolledBackBy) throw new Conflict(alreadyRolledBack(original.id, original.rolledBackBy));
  if (original.autoRollback?.status === 'succeeded') {
    throw new Conflict(
      `restore ${original.id} was already rolled back automatically when it failed (${original.autoRollback.finishedAt}): the target holds what it held before it`,
    );
  }
  if (original.status !== 'succeeded' && original.status !== 'failed') {
    throw new Conflict(
      `restore ${original.id} is ${original.status}: only a restore that succeeded or failed can be rolled back`,
    );
  }
  if (!original.safetyBackupId) {
    const into = `database ${original.targetDatabase}`;
    throw new Conflict(
      original.safetyBackupKey
        ? `restore ${original.id} predates safety backup records: its safety backup is only the object ${original.safetyBackupKey}, which cannot be restored through Keepsake`
        : original.status === 'succeeded'
          ? `restore ${original.id} has no safety backup: ${into} did not exist before it, so there is nothing to roll back to; drop the database to undo the restore`
          : `restore ${original.id} has no safety backup: either ${into} did not exist before it (nothing to roll back to; drop the database to undo the restore) or the restore failed before touching it`,
    );
  }
  const safety = await getBackupRecord(table, original.safetyBackupId);
  const refusal = !safety
    ? 'no longer exists'
    : safety.trashedAt
      ? 'is in the trash: restore it from the trash first'
      : safety.status !== 'succeeded'
        ? `is ${safety.status}`
        : safety.objectMissingAt
          ? `has no object: it was found missing from the bucket at ${safety.objectMissingAt}`
          : undefined;
  if (!safety || refusal) {
    throw new Conflict(
      `restore ${original.id} cannot be rolled back: its safety backup ${original.safetyBackupId} ${refusal}`,
    );
  }
  return safety;
}

const alreadyRolledBack = (id: string, by: string) => `restore ${id} was already rolled back by restore ${by}`;

const unrestorable = (backup: Pick<BackupRecord, 'id' | 'status' | 'trashedAt'>) =>
  `backup ${backup.id} is ${backup.trashedAt ? 'in the trash' : backup.status}: only succeeded backups out of the trash can be restored`;

function newRestore(
  deps: RestoreDeps,
  backup: BackupRecord,
  target: Pick<Restore, 'targetSourceId' | 'targetDatabase'>,
  principal: string,
): Restore {
  return {
    id: (deps.newId ?? randomUUID)(),
    backupId: backup.id,
    sourceId: backup.sourceId,
    targetSourceId: target.targetSourceId,
    targetDatabase: target.targetDatabase,
    status: 'queued',
    requestedBy: principal,
    createdAt: deps.now().toISOString(),
  };
}

/**
 * Records `restore` (queued) with its audit event, its backup still restorable, its target source present, the
 * target database's lock and no backup of it running, and (a rollback) the original marked `rolledBackBy`, all in
 * one transaction; then starts the Restore machine under the restore's id, undoing the records if it will not start.
 */
async function startRestore(
  deps: RestoreDeps,
  restore: Restore,
  event: { action: string; summary: string },
  rolledBack?: Restore,
): Promise<CreateRestoreResponse> {
  const { table } = deps;
  const audit = auditItem(
    { principal: restore.requestedBy, targetType: 'restore', targetId: restore.id, ...event },
    new Date(restore.createdAt),
  );
  try {
    await transactNamedItems(table, {
      record: newRestorePut(table, restore),
      backup: succeededBackupCheck(table, restore.backupId),
      target: sourceExistsCheck(table, restore.targetSourceId),
      audit: { Put: { TableName: table.tableName, Item: audit } },
      lock: restoreLockPut(table, restore),
      noBackup: runningLockCheck(table, restore.targetSourceId, restore.targetDatabase),
      ...(rolledBack && { original: rolledBackByUpdate(table, rolledBack.id, restore.id) }),
    });
  } catch (error) {
    if (!(error instanceof TransactionCancelled)) throw error;
    if (error.failed('original') && rolledBack) {
      const current = await getRestore(table, rolledBack.id);
      if (current.rolledBackBy) throw new Conflict(alreadyRolledBack(current.id, current.rolledBackBy));
      throw new Conflict(
        `restore ${current.id} is ${current.status}: only a restore that succeeded or failed can be rolled back`,
      );
    }
    if (error.failed('backup')) {
      const current = await getBackupRecord(table, restore.backupId);
      if (!current) throw new NotFound('backup', restore.backupId);
      throw new Conflict(unrestorable(current));
    }
    if (error.failed('target')) throw new NotFound('data source', restore.targetSourceId);
    if (error.failed('lock')) {
      const holder = await getRestoreLock(table, restore.targetSourceId, restore.targetDatabase);
      throw new Conflict(
        `a restore into database ${restore.targetDatabase} of data source ${restore.targetSourceId} is already queued or running${holder ? ` (${holder})` : ''}: wait for it to end`,
      );
    }
    if (error.failed('noBackup')) {
      const running = await getRunningLock(table, restore.targetSourceId);
      throw new Conflict(
        `a backup of database ${restore.targetDatabase} of data source ${restore.targetSourceId} is queued or running${running ? ` (${running.backupId})` : ''}: restore once it has ended, or cancel it`,
      );
    }
    throw error;
  }

  const input: RestoreExecutionInput = {
    restoreId: restore.id,
    backupId: restore.backupId,
    targetSourceId: restore.targetSourceId,
    targetDatabase: restore.targetDatabase,
  };
  try {
    await deps.sfn.send(
      new StartExecutionCommand({
        stateMachineArn: deps.stateMachineArn,
        name: restore.id,
        input: JSON.stringify(input),
      }),
    );
  } catch (error) {
    try {
      await transactNamedItems(table, {
        record: queuedRestoreDelete(table, restore.id),
        audit: { Delete: { TableName: table.tableName, Key: keys.audit(String(audit.id)) } },
        lock: restoreLockRelease(table, restore),
        original: rolledBack && rolledBackByRemove(table, rolledBack.id, restore.id),
      });
    } catch (undoError) {
      logger.error('undo of a restore whose execution did not start failed', {
        restoreId: restore.id,
        error: describeAwsError(undoError),
      });
    }
    throw new Upstream(
      `could not start the restore: Step Functions StartExecution failed (${describeAwsError(error)})`,
    );
  }
  return { restoreId: restore.id };
}

export async function getRestore(table: TableRef, id: string): Promise<Restore> {
  const restore = await getRestoreRecord(table, id);
  if (!restore) throw new NotFound('restore', id);
  return restore;
}

/**
 * `GET /v1/restores/{id}/logs`: the runner's lines of the restore's execution (its safety backup, then the
 * restore). The API starts every Restore execution under the restore's id, so its ARN is derived, not stored.
 */
export async function getRestoreLogs(
  deps: { readonly table: TableRef; readonly logs: JobLogs; readonly stateMachineArn: string },
  id: string,
  cursor?: string,
): Promise<LogPage> {
  const restore = await getRestore(deps.table, id);
  const running = restore.status === 'queued' || restore.status === 'running';
  const search =
    restore.status === 'queued'
      ? undefined
      : {
          executionArn: executionArnOf(deps.stateMachineArn, restore.id),
          since: restore.startedAt ?? restore.createdAt,
          ...(!running && restore.finishedAt && { until: restore.finishedAt }),
        };
  return logPageOf(deps.logs, search, running, cursor);
}

export function findRestores(table: TableRef, query: ListRestoresQuery): Promise<Page<Restore>> {
  return listRestores(table, query.targetSourceId, {
    limit: query.limit,
    ...(query.cursor !== undefined && { cursor: query.cursor }),
  });
}

/** The Restore state machine's first step: queued → running (a retry finds it running and returns it). */
export async function markRestoreRunning(
  deps: { table: TableRef; now: () => Date },
  restoreId: string,
): Promise<Restore> {
  const current = await getRestore(deps.table, restoreId);
  if (current.status === 'running') return current;
  if (current.status !== 'queued') throw new Conflict(`restore ${restoreId} is ${current.status}: it will not run`);
  const startedAt = deps.now().toISOString();
  try {
    await transactNamedItems(deps.table, {
      record: restoreStatusUpdate(deps.table, restoreId, 'running', ['queued'], { startedAt }),
    });
  } catch (error) {
    if (!(error instanceof TransactionCancelled)) throw error;
    const now = await getRestore(deps.table, restoreId);
    if (now.status === 'running') return now;
    throw new Conflict(`restore ${restoreId} is ${now.status}: it will not run`);
  }
  return { ...current, status: 'running', startedAt };
}

/**
 * The Restore state machine's last step: records how it ended, with the safety backup's key (the way back if
 * the restore went wrong). Idempotent: finalizing again with the same status returns the record unchanged.
 */
export async function recordRestoreOutcome(
  deps: { table: TableRef; now: () => Date },
  restoreId: string,
  outcome: RestoreOutcome,
): Promise<Restore> {
  const current = await getRestore(deps.table, restoreId);
  if (current.status !== 'queued' && current.status !== 'running') {
    if (current.status === outcome.status) return current;
    throw new Conflict(`restore ${restoreId} already ended ${current.status}`);
  }
  const now = deps.now();
  const { status, ...details } = outcome;
  const fields: Partial<Restore> = {
    ...details,
    finishedAt: now.toISOString(),
    durationMs:
      ('durationMs' in details ? details.durationMs : undefined) ??
      Math.max(0, now.getTime() - Date.parse(current.startedAt ?? current.createdAt)),
  };
  try {
    await transactNamedItems(deps.table, {
      record: restoreStatusUpdate(deps.table, restoreId, status, ['queued', 'running'], fields),
      lock: restoreLockRelease(deps.table, current),
    });
  } catch (error) {
    if (!(error instanceof TransactionCancelled)) throw error;
    const after = await getRestore(deps.table, restoreId);
    if (after.status === status) return after;
    throw new Conflict(`restore ${restoreId} changed to ${after.status} while being finalized`);
  }
  return { ...current, ...fields, status };
}
