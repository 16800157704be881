import { describe, expect, it } from 'vitest';
import { BACKUP_STEPS, ecsTaskOf, failureReason } from '../../../functions/orchestration/failureReason.ts';
import { errorsIn } from '../../../functions/orchestration/runnerLogs.ts';
import type { StatesError } from '../../../types/orchestration.ts';

const TASK_ARN = 'arn:aws:ecs:eu-west-1:123456789012:task/keepsake/0123456789abcdef0123456789abcdef';

/** A failed `ecs:runTask.sync`: Error States.TaskFailed, Cause the stopped task's description as JSON. */
const taskFailed = (task: Record<string, unknown>): StatesError => ({
  Error: 'States.TaskFailed',
  Cause: JSON.stringify(task),
});

describe('ecsTaskOf', () => {
  it('reads the task Step Functions hands on, with PascalCase keys', () => {
    const error = taskFailed({
      TaskArn: TASK_ARN,
      LastStatus: 'STOPPED',
      StopCode: 'EssentialContainerExited',
      StoppedReason: 'Essential container in task exited',
      Containers: [{ Name: 'runner', ExitCode: 1 }],
    });
    expect(ecsTaskOf(error)).toEqual({
      taskArn: TASK_ARN,
      stopCode: 'EssentialContainerExited',
      stoppedReason: 'Essential container in task exited',
      containers: [{ exitCode: 1, reason: undefined }],
    });
  });

  it('reads the same task with the camelCase keys of the SDK and the docs', () => {
    const error = taskFailed({
      taskArn: TASK_ARN,
      stopCode: 'TaskFailedToStart',
      stoppedReason: 'ResourceInitializationError: unable to pull secrets or registry auth',
      containers: [{ name: 'runner', reason: 'CannotPullContainerError: pull access denied' }],
    });
    expect(ecsTaskOf(error)).toEqual({
      taskArn: TASK_ARN,
      stopCode: 'TaskFailedToStart',
      stoppedReason: 'ResourceInitializationError: unable to pull secrets or registry auth',
      containers: [{ exitCode: undefined, reason: 'CannotPullContainerError: pull access denied' }],
    });
  });

  it('finds no task in a Cause that is not an ECS task description', () => {
    expect(ecsTaskOf({ Error: 'States.TaskFailed', Cause: 'ECS could not place the task' })).toBeUndefined();
    expect(
      ecsTaskOf({ Error: 'States.TaskFailed', Cause: JSON.stringify({ errorType: 'Error', errorMessage: 'boom' }) }),
    ).toBeUndefined();
    expect(ecsTaskOf({ Error: 'States.TaskFailed', Cause: JSON.stringify([{ TaskArn: TASK_ARN }]) })).toBeUndefined();
    expect(ecsTaskOf({ Error: 'States.Timeout' })).toBeUndefined();
  });
});

describe('failureReason of the run step', () => {
  it('says the runner exited with its code, and nothing of ECS’s ordinary "Essential container in task exited"', () => {
    const error = taskFailed({
      TaskArn: TASK_ARN,
      StoppedReason: 'Essential container in task exited',
      Containers: [{ Name: 'runner', ExitCode: 1 }],
    });
    expect(failureReason(BACKUP_STEPS.run, error)).toBe('the runner exited with code 1');
  });

  it('adds the container’s reason and a stopped reason that is not the ordinary one', () => {
    const error = taskFailed({
      taskArn: TASK_ARN,
      stoppedReason: 'Task stopped by user',
      containers: [{ exitCode: 137, reason: 'OutOfMemoryError: Container killed due to memory usage' }],
    });
    expect(failureReason(BACKUP_STEPS.run, error)).toBe(
      'the runner exited with code 137; OutOfMemoryError: Container killed due to memory usage; task stopped: Task stopped by user',
    );
  });

  it('falls back to the stop code when the task says nothing else', () => {
    expect(
      failureReason(BACKUP_STEPS.run, taskFailed({ TaskArn: TASK_ARN, StopCode: 'SpotInterruption', Containers: [] })),
    ).toBe('the runner task stopped (SpotInterruption)');
    expect(failureReason(BACKUP_STEPS.run, taskFailed({ TaskArn: TASK_ARN }))).toBe('the runner task stopped');
  });

  it('quotes a Cause that is no task description', () => {
    expect(
      failureReason(BACKUP_STEPS.run, {
        Error: 'ECS.AmazonECSException',
        Cause: 'No Container Instances were found in your cluster.',
      }),
    ).toBe('running the backup failed: No Container Instances were found in your cluster.');
    expect(failureReason(BACKUP_STEPS.run, { Error: 'ECS.AmazonECSException' })).toBe(
      'running the backup failed: ECS.AmazonECSException',
    );
  });

  it('appends the runner’s own error lines, leaving out what the reason already says', () => {
    const error = taskFailed({ TaskArn: TASK_ARN, Containers: [{ Name: 'runner', ExitCode: 1 }] });
    expect(
      failureReason(BACKUP_STEPS.run, error, [
        "connection: Access denied for user 'backup'@'10.0.1.5'",
        'dump: mysqldump exited with code 2',
      ]),
    ).toBe(
      "the runner exited with code 1: connection: Access denied for user 'backup'@'10.0.1.5' | dump: mysqldump exited with code 2",
    );
    expect(failureReason(BACKUP_STEPS.run, error, ['the runner exited with code 1', 'upload: AccessDenied'])).toBe(
      'the runner exited with code 1: upload: AccessDenied',
    );
    expect(failureReason(BACKUP_STEPS.run, error, ['code 1'])).toBe('the runner exited with code 1');
    expect(failureReason(BACKUP_STEPS.run, error, [])).toBe('the runner exited with code 1');
  });
});

describe('failureReason of any step', () => {
  it('says a step ran out of time (States.Timeout)', () => {
    expect(failureReason(BACKUP_STEPS.run, { Error: 'States.Timeout', Cause: '' })).toBe(
      'running the backup took longer than its time limit and was stopped',
    );
    expect(failureReason(BACKUP_STEPS.finalize, { Error: 'States.Timeout' })).toBe(
      'recording the backup took longer than its time limit and was stopped',
    );
  });

  it('says a step stopped reporting (States.HeartbeatTimeout)', () => {
    expect(failureReason(BACKUP_STEPS.run, { Error: 'States.HeartbeatTimeout' })).toBe(
      'running the backup stopped reporting (heartbeat lost)',
    );
    expect(failureReason(BACKUP_STEPS.begin, { Error: 'States.HeartbeatTimeout' })).toBe(
      'starting the backup stopped reporting (heartbeat lost)',
    );
  });

  it('still appends the runner’s error lines to a timeout', () => {
    expect(failureReason(BACKUP_STEPS.run, { Error: 'States.Timeout' }, ['dump: lost connection to server'])).toBe(
      'running the backup took longer than its time limit and was stopped: dump: lost connection to server',
    );
  });
});

describe('failureReason of a Lambda step', () => {
  it('takes the errorMessage of the JSON Cause a Lambda error has in AWS', () => {
    const cause = JSON.stringify({
      errorType: 'Conflict',
      errorMessage: 'data source src-1 is disabled or gone: scheduled backup skipped',
      trace: ['Conflict: …', '    at markBackupRunning'],
    });
    expect(failureReason(BACKUP_STEPS.begin, { Error: 'Conflict', Cause: cause })).toBe(
      'data source src-1 is disabled or gone: scheduled backup skipped',
    );
  });

  it('takes a plain-text Cause (the local runtime) as it is', () => {
    expect(
      failureReason(BACKUP_STEPS.finalize, {
        Error: 'BackupObjectMissing',
        Cause: 'the runner reported success but s3://b/k does not exist',
      }),
    ).toBe('the runner reported success but s3://b/k does not exist');
  });

  it('falls back to the error name without a Cause', () => {
    expect(failureReason(BACKUP_STEPS.begin, { Error: 'Lambda.Unknown' })).toBe('Lambda.Unknown');
  });
});

describe('errorsIn', () => {
  const line = (event: Record<string, unknown>) => JSON.stringify({ time: '2026-03-01T12:00:00.000Z', ...event });

  it('takes the error of each JSON line at level error, oldest first', () => {
    const lines = [
      line({ level: 'info', event: 'start', mode: 'backup' }),
      line({ level: 'error', event: 'failed', error: 'connection: Access denied' }),
      line({ level: 'warn', event: 'retry', error: 'not an error report' }),
      line({ level: 'error', event: 'failed', error: 'upload: aborted' }),
    ];
    expect(errorsIn(lines, 3)).toEqual(['connection: Access denied', 'upload: aborted']);
  });

  it('ignores lines that are not the runner’s JSON and error fields that are not text', () => {
    const lines = [
      '(node:1) Warning: something Node says',
      '',
      '{"level":"error","error":',
      'null',
      '"level error"',
      line({ level: 'error', event: 'failed', error: { message: 'an object' } }),
      line({ level: 'error', event: 'failed' }),
      line({ level: 'error', event: 'failed', error: 'dump: exited with code 2' }),
    ];
    expect(errorsIn(lines, 3)).toEqual(['dump: exited with code 2']);
  });

  it('reports each error once', () => {
    const lines = ['a', 'a', 'b', 'b', 'b'].map((error) => line({ level: 'error', error }));
    expect(errorsIn(lines, 3)).toEqual(['a', 'b']);
  });

  it('keeps the last `limit` of them', () => {
    const lines = ['one', 'two', 'three', 'four'].map((error) => line({ level: 'error', error }));
    expect(errorsIn(lines, 2)).toEqual(['three', 'four']);
    expect(errorsIn(lines, 10)).toEqual(['one', 'two', 'three', 'four']);
    expect(errorsIn([], 3)).toEqual([]);
  });
});
