import { describe, expect, it } from 'vitest';
import { keepsakeTemplate } from '../../scripts/local/stack.ts';

/**
 * The Orchestration construct's resources whose logical id must not change between versions, by type. A new
 * logical id is a new resource on the next deploy, and the old one is deleted:
 * - a state machine: its ARN, which every schedule the API created targets, changes;
 * - a machine's log group has a fixed name, so its replacement fails the deploy ("already exists");
 * - a Lambda's log group goes with its logs;
 * - the schedule group takes every schedule users created with it;
 * - a role: the scheduler role is named by every schedule the API created.
 * Renaming a construct id, or moving a construct to another scope, changes these: this list says so before AWS does.
 */
const PINNED: Record<string, readonly string[]> = {
  'AWS::StepFunctions::StateMachine': [
    'OrchestrationBackup1AFAA277',
    'OrchestrationRestore71FFE1CA',
    'OrchestrationSweeperE87AF7AD',
    'OrchestrationVerify926AF9E9',
  ],
  'AWS::Logs::LogGroup': [
    'OrchestrationApplyRetentionLogs873EFD88',
    'OrchestrationBackupLogsA4284B91',
    'OrchestrationBeginBackupLogs7CDB4176',
    'OrchestrationBeginRestoreLogs953A6248',
    'OrchestrationCheckFreshnessLogs570E40FD',
    'OrchestrationFinalizeBackupLogsFF11A069',
    'OrchestrationFinalizeRestoreLogs1F442F81',
    'OrchestrationListDueVerificationsLogs81AC5516',
    'OrchestrationListSourceIdsLogs05AC1DC2',
    'OrchestrationPrepareVerifyLogs92147CCC',
    'OrchestrationPurgeTrashLogs5F4350F7',
    'OrchestrationRecordBackupFailureLogsD9B368C9',
    'OrchestrationRecordRestoreFailureLogs5F5B16C2',
    'OrchestrationRecordSafetyBackupLogsC8818487',
    'OrchestrationRecordStoppedExecutionLogsAC1B75BF',
    'OrchestrationRecordVerificationLogs0B8CB8AD',
    'OrchestrationRestoreLogsBD857D32',
    'OrchestrationSweeperLogs9BD41876',
    'OrchestrationVerifyLogs2383D9B3',
  ],
  'AWS::IAM::Role': [
    'OrchestrationApplyRetentionRole170A70EA',
    'OrchestrationBackupRoleA04751F6',
    'OrchestrationBeginBackupRoleA61BA2FA',
    'OrchestrationBeginRestoreRole7999B048',
    'OrchestrationCheckFreshnessInvokerECF77879',
    'OrchestrationCheckFreshnessRole018617A7',
    'OrchestrationFinalizeBackupRoleCE4D6D37',
    'OrchestrationFinalizeRestoreRole63773C76',
    'OrchestrationListDueVerificationsRole7A181045',
    'OrchestrationListSourceIdsRole9766C54C',
    'OrchestrationPrepareVerifyRole7728A65A',
    'OrchestrationPurgeTrashRoleB29B72A9',
    'OrchestrationRecordBackupFailureRole92B515A9',
    'OrchestrationRecordRestoreFailureRole43B75239',
    'OrchestrationRecordSafetyBackupRoleF58C9E81',
    'OrchestrationRecordStoppedExecutionRoleF6CF7FB8',
    'OrchestrationRecordVerificationRole01E310DE',
    'OrchestrationRestoreRole71EAF255',
    'OrchestrationSchedulerRole97139F6B',
    'OrchestrationSweepStarter32898EE8',
    'OrchestrationSweeperRole12C25C54',
    'OrchestrationVerifyRole38712726',
  ],
  'AWS::Scheduler::ScheduleGroup': ['OrchestrationScheduleGroupA63765F8'],
};

describe('Orchestration logical ids', () => {
  const resources = keepsakeTemplate().toJSON().Resources as Record<string, { Type: string }>;

  it('keeps the ids of the machines, their roles and log groups, the Lambdas’ and the schedule group as deployed', () => {
    const found = Object.fromEntries(
      Object.keys(PINNED).map((type) => [
        type,
        Object.keys(resources)
          .filter((id) => id.startsWith('Orchestration') && resources[id]?.Type === type)
          .sort(),
      ]),
    );
    expect(found).toEqual(PINNED);
  });
});
