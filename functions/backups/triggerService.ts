import { StartExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { randomUUID } from 'node:crypto';
import { IDEMPOTENCY_WINDOW_SECONDS, type TriggerBackupResponse } from '../../types/backupApi.ts';
import type { BackupExecutionInput } from '../../types/orchestration.ts';
import { Conflict, NotFound, Upstream } from '../shared/errors.ts';
import { keys } from '../shared/keys.ts';
import { logger } from '../shared/logger.ts';
import { auditItem } from '../shared/repositories/audit.ts';
import {
  enabledSourceCheck,
  getRunningLock,
  newBackupPut,
  queuedBackupDelete,
  runningLockPut,
  runningLockRelease,
  type BackupRecord,
} from '../shared/repositories/backups.ts';
import { getDataSource } from '../shared/repositories/dataSources.ts';
import {
  getIdempotency,
  idempotencyDelete,
  idempotencyPut,
  type IdempotencyRecord,
} from '../shared/repositories/idempotency.ts';
import { getRestoreLock, restoreLockAbsentCheck } from '../shared/repositories/restores.ts';
import { statusCounterUpdate } from '../shared/repositories/stats.ts';
import type { TableRef } from '../shared/repositories/table.ts';
import { TransactionCancelled, transactNamedItems } from '../shared/repositories/transactions.ts';
import { describeAwsError } from '../shared/stepFunctions.ts';

export interface TriggerDeps {
  readonly table: TableRef;
  readonly sfn: SFNClient;
  /** The Backup state machine (env BACKUP_STATE_MACHINE_ARN). */
  readonly stateMachineArn: string;
  readonly now: () => Date;
  readonly newId?: () => string;
}

export interface TriggerRequest {
  readonly sourceId: string;
  readonly trigger: 'manual' | 'api';
  readonly idempotencyKey?: string;
  readonly principal: string;
}

const OPERATION = 'backup.trigger';

function replay(seen: IdempotencyRecord, sourceId: string): TriggerBackupResponse {
  if (seen.operation !== OPERATION || seen.targetId !== sourceId) {
    throw new Conflict('this Idempotency-Key was already used for another request: use a new key');
  }
  return { backupId: seen.resultId };
}

/**
 * Starts a backup of a source now. One transaction queues the record, takes the source's running lock, checks
 * the source is enabled and that no restore is writing into its database, counts the new `queued` status, writes
 * the audit event and claims the idempotency key; only then is the Backup state machine started, under the
 * backup's id. If Step Functions refuses, the transaction is undone and the caller gets a 502 naming the failure.
 */
export async function triggerBackup(deps: TriggerDeps, request: TriggerRequest): Promise<TriggerBackupResponse> {
  const { table } = deps;
  const { sourceId, trigger, idempotencyKey } = request;
  const now = deps.now();
  if (idempotencyKey !== undefined) {
    const seen = await getIdempotency(table, idempotencyKey, now);
    if (seen) return replay(seen, sourceId);
  }
  const source = await getDataSource(table, sourceId);
  if (!source) throw new NotFound('data source', sourceId);
  if (!source.enabled) throw new Conflict(`data source ${sourceId} is disabled: enable it to back it up`);

  const backupId = (deps.newId ?? randomUUID)();
  const createdAt = now.toISOString();
  const record: BackupRecord = {
    id: backupId,
    sourceId,
    database: source.database,
    status: 'queued',
    trigger,
    createdAt,
  };
  const audit = auditItem(
    {
      principal: request.principal,
      action: OPERATION,
      targetType: 'backup',
      targetId: backupId,
      summary: `data source ${sourceId}, trigger ${trigger}`,
    },
    now,
  );
  try {
    await transactNamedItems(table, {
      lock: runningLockPut(table, { sourceId, backupId, since: createdAt, database: source.database }),
      source: enabledSourceCheck(table, sourceId),
      record: newBackupPut(table, record),
      counter: statusCounterUpdate(table, 'queued', now),
      audit: { Put: { TableName: table.tableName, Item: audit } },
      idempotency:
        idempotencyKey === undefined
          ? undefined
          : idempotencyPut(
              table,
              { key: idempotencyKey, operation: OPERATION, targetId: sourceId, resultId: backupId, createdAt },
              now,
              IDEMPOTENCY_WINDOW_SECONDS,
            ),
      noRestore: restoreLockAbsentCheck(table, sourceId, source.database),
    });
  } catch (error) {
    if (!(error instanceof TransactionCancelled)) throw error;
    if (idempotencyKey !== undefined) {
      // A concurrent request with the same key may have won (its lock then fails ours too): answer as it did.
      const seen = await getIdempotency(table, idempotencyKey, now);
      if (seen) return replay(seen, sourceId);
      if (error.failed('idempotency'))
        throw new Conflict('a request with this Idempotency-Key is still being processed: retry it');
    }
    if (error.failed('source')) {
      const current = await getDataSource(table, sourceId);
      if (!current) throw new NotFound('data source', sourceId);
      throw new Conflict(`data source ${sourceId} is disabled: enable it to back it up`);
    }
    if (error.failed('lock') || error.reason('lock') === 'TransactionConflict') {
      const lock = await getRunningLock(table, sourceId);
      throw new Conflict(
        `data source ${sourceId} already has a backup queued or running${lock ? ` (${lock.backupId})` : ''}: wait for it or cancel it`,
      );
    }
    if (error.failed('noRestore')) throw await restoringConflict(table, sourceId, source.database);
    throw error;
  }

  const input: BackupExecutionInput = { dataSourceId: sourceId, backupId, trigger };
  try {
    await deps.sfn.send(
      new StartExecutionCommand({
        stateMachineArn: deps.stateMachineArn,
        name: backupId,
        input: JSON.stringify(input),
      }),
    );
  } catch (error) {
    await undoTrigger(table, {
      record,
      at: now,
      auditKey: keys.audit(String(audit.id)),
      ...(idempotencyKey !== undefined && { idempotencyKey }),
    });
    throw new Upstream(`could not start the backup: Step Functions StartExecution failed (${describeAwsError(error)})`);
  }
  return { backupId };
}

/** The 409 for a backup of a database a restore is writing into. */
export async function restoringConflict(table: TableRef, sourceId: string, database: string): Promise<Conflict> {
  const restoreId = await getRestoreLock(table, sourceId, database);
  return new Conflict(
    `a restore into database ${database} of data source ${sourceId} is queued or running${restoreId ? ` (${restoreId})` : ''}: a backup now would record a half-restored database; back it up once the restore has ended`,
  );
}

/**
 * Removes everything the trigger transaction wrote, in one transaction: the record (still queued: nothing
 * ran), the lock (if still this backup's), the counter, the audit event and the idempotency claim, so a retry
 * starts afresh. A failed undo is logged; the caller's error stands.
 */
async function undoTrigger(
  table: TableRef,
  done: { record: BackupRecord; at: Date; auditKey: Record<string, string>; idempotencyKey?: string },
): Promise<void> {
  const { record } = done;
  try {
    await transactNamedItems(table, {
      record: queuedBackupDelete(table, record.id),
      lock: runningLockRelease(table, record.sourceId, record.id),
      counter: statusCounterUpdate(table, 'queued', done.at, -1),
      audit: { Delete: { TableName: table.tableName, Key: done.auditKey } },
      idempotency:
        done.idempotencyKey === undefined ? undefined : idempotencyDelete(table, done.idempotencyKey, record.id),
    });
  } catch (error) {
    logger.error('undo of a backup whose execution did not start failed', {
      backupId: record.id,
      sourceId: record.sourceId,
      error: describeAwsError(error),
    });
  }
}
