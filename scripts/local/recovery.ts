import { allPages } from '../../types/api.ts';
import { listBackups } from '../../functions/shared/repositories/backups.ts';
import { listRestores } from '../../functions/shared/repositories/restores.ts';
import {
  recordStoppedExecutionStep,
  type StoppedExecutionDeps,
} from '../../functions/orchestration/stoppedExecutions.ts';

const CAUSE = 'local mode stopped while this ran (Ctrl-C, a crash or a reboot); start it again';

/**
 * At local mode's start nothing runs yet, so a backup or restore still queued or running was cut off when it last
 * stopped: each is ended as failed, the way AWS ends an execution that stopped without recording its outcome
 * (the stopped-execution event), so nothing stays `running` forever. Returns how many were ended.
 */
export async function recoverUnfinishedRuns(deps: StoppedExecutionDeps): Promise<number> {
  const backups = (
    await Promise.all(
      (['queued', 'running'] as const).map((status) =>
        allPages((cursor) =>
          listBackups(deps.table, { status }, { limit: 100, ...(cursor !== undefined && { cursor }) }),
        ),
      ),
    )
  ).flat();
  const restores = (
    await allPages((cursor) =>
      listRestores(deps.table, undefined, { limit: 100, ...(cursor !== undefined && { cursor }) }),
    )
  ).filter((r) => r.status === 'queued' || r.status === 'running');
  const stopped = [
    ...backups.map((b) => ({ stateMachineArn: deps.backupStateMachineArn, name: b.id })),
    ...restores.map((r) => ({ stateMachineArn: deps.restoreStateMachineArn, name: r.id })),
  ];
  let ended = 0;
  for (const { stateMachineArn, name } of stopped) {
    const { recorded } = await recordStoppedExecutionStep(deps, {
      source: 'aws.states',
      detail: {
        executionArn: `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`,
        stateMachineArn,
        name,
        status: 'FAILED',
        cause: CAUSE,
      },
    });
    if (recorded) ended++;
  }
  return ended;
}
