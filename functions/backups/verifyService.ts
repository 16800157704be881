import { StartExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { DeleteCommand } from '@aws-sdk/lib-dynamodb';
import type { VerifyBackupResponse } from '../../types/backupApi.ts';
import { Conflict, NotFound, Upstream } from '../shared/errors.ts';
import { keys } from '../shared/keys.ts';
import { logger } from '../shared/logger.ts';
import { auditItem } from '../shared/repositories/audit.ts';
import { getBackupRecord, succeededBackupCheck } from '../shared/repositories/backups.ts';
import type { TableRef } from '../shared/repositories/table.ts';
import { TransactionCancelled, transactNamedItems } from '../shared/repositories/transactions.ts';
import { describeAwsError } from '../shared/stepFunctions.ts';

export interface VerifyDeps {
  readonly table: TableRef;
  readonly sfn: SFNClient;
  /** The Verify state machine (env VERIFY_STATE_MACHINE_ARN). */
  readonly stateMachineArn: string;
  readonly now: () => Date;
}

/** Execution names are at most 80 characters: `verify-<time36>-<backup id>` stays within them and sorts by time. */
export function verifyExecutionName(backupId: string, at: Date): string {
  return `verify-${at.getTime().toString(36)}-${backupId}`.slice(0, 80);
}

/**
 * Starts the Verify state machine on a succeeded backup (it re-reads the object and checks its SHA-256). The
 * audit event is written with a check that the backup is still succeeded and out of the trash; if Step
 * Functions refuses, the event is removed again and the caller gets a 502.
 */
export async function verifyBackup(
  deps: VerifyDeps,
  request: { backupId: string; principal: string },
): Promise<VerifyBackupResponse> {
  const { table } = deps;
  const record = await getBackupRecord(table, request.backupId);
  if (!record) throw new NotFound('backup', request.backupId);
  const refusal = `backup ${record.id} is ${record.trashedAt ? 'in the trash' : record.status}: only succeeded backups out of the trash can be verified`;
  if (record.status !== 'succeeded' || record.trashedAt) throw new Conflict(refusal);
  const now = deps.now();
  const audit = auditItem(
    {
      principal: request.principal,
      action: 'backup.verify',
      targetType: 'backup',
      targetId: record.id,
      summary: `data source ${record.sourceId}`,
    },
    now,
  );
  try {
    await transactNamedItems(table, {
      backup: succeededBackupCheck(table, record.id),
      audit: { Put: { TableName: table.tableName, Item: audit } },
    });
  } catch (error) {
    if (error instanceof TransactionCancelled) throw new Conflict(refusal);
    throw error;
  }
  try {
    const out = await deps.sfn.send(
      new StartExecutionCommand({
        stateMachineArn: deps.stateMachineArn,
        name: verifyExecutionName(record.id, now),
        input: JSON.stringify({ backupId: record.id }),
      }),
    );
    return { backupId: record.id, executionArn: out.executionArn ?? '' };
  } catch (error) {
    await table.client
      .send(new DeleteCommand({ TableName: table.tableName, Key: keys.audit(String(audit.id)) }))
      .catch((undoError: unknown) =>
        logger.error('could not remove the audit event of a verify that did not start', {
          backupId: record.id,
          error: describeAwsError(undoError),
        }),
      );
    throw new Upstream(
      `could not start the verification: Step Functions StartExecution failed (${describeAwsError(error)})`,
    );
  }
}
