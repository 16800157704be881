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
import { TransactionCancelled, transactWriteItems } from '../shared/repositories/cancellation.ts';
import { getDataSource } from '../shared/repositories/dataSources.ts';
import { getIdempotency, idempotencyDelete, idempotencyPut, type IdempotencyRecord } from '../shared/repositories/idempotency.ts';
import { statusCounterUpdate } from '../shared/repositories/stats.ts';
import type { TableRef } from '../shared/repositories/table.ts';
import type { TransactItem } from '../shared/repositories/transactions.ts';
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
 * the source is enabled, counts the new `queued` status, writes the audit event and claims the idempotency
 * key; only then is the Backup state machine started, under the backup's id. If Step Functions refuses, the
 * transaction is undone and the caller gets a 502 naming the failure.
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
  const record: BackupRecord = { id: backupId, sourceId, database: source.database, status: 'queued', trigger, createdAt };
  const audit = auditItem({ principal: request.principal, action: OPERATION, targetType: 'backup', targetId: backupId, summary: `data source ${sourceId}, trigger ${trigger}` }, now);
  const items: TransactItem[] = [
    runningLockPut(table, { sourceId, backupId, since: createdAt }),
    enabledSourceCheck(table, sourceId),
    newBackupPut(table, record),
    statusCounterUpdate(table, 'queued', now),
    { Put: { TableName: table.tableName, Item: audit } },
  ];
  if (idempotencyKey !== undefined) {
    items.push(idempotencyPut(table, { key: idempotencyKey, operation: OPERATION, targetId: sourceId, resultId: backupId, createdAt }, now, IDEMPOTENCY_WINDOW_SECONDS));
  }
  try {
    await transactWriteItems(table, items);
  } catch (error) {
    if (!(error instanceof TransactionCancelled)) throw error;
    if (idempotencyKey !== undefined) {
      // A concurrent request with the same key may have won (its lock then fails ours too): answer as it did.
      const seen = await getIdempotency(table, idempotencyKey, now);
      if (seen) return replay(seen, sourceId);
      if (error.conditionFailed(5)) throw new Conflict('a request with this Idempotency-Key is still being processed: retry it');
    }
    if (error.conditionFailed(1)) {
      const current = await getDataSource(table, sourceId);
      if (!current) throw new NotFound('data source', sourceId);
      throw new Conflict(`data source ${sourceId} is disabled: enable it to back it up`);
    }
    if (error.conditionFailed(0) || error.codes[0] === 'TransactionConflict') {
      const lock = await getRunningLock(table, sourceId);
      throw new Conflict(`data source ${sourceId} already has a backup queued or running${lock ? ` (${lock.backupId})` : ''}: wait for it or cancel it`);
    }
    throw error;
  }

  const input: BackupExecutionInput = { dataSourceId: sourceId, backupId, trigger };
  try {
    await deps.sfn.send(new StartExecutionCommand({ stateMachineArn: deps.stateMachineArn, name: backupId, input: JSON.stringify(input) }));
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
  const items: TransactItem[] = [
    queuedBackupDelete(table, record.id),
    runningLockRelease(table, record.sourceId, record.id),
    statusCounterUpdate(table, 'queued', done.at, -1),
    { Delete: { TableName: table.tableName, Key: done.auditKey } },
  ];
  if (done.idempotencyKey !== undefined) items.push(idempotencyDelete(table, done.idempotencyKey, record.id));
  try {
    await transactWriteItems(table, items);
  } catch (error) {
    logger.error('undo of a backup whose execution did not start failed', { backupId: record.id, sourceId: record.sourceId, error: describeAwsError(error) });
  }
}
