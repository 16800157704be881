import {
  CreateScheduleCommand,
  DeleteScheduleCommand,
  SchedulerClient,
  UpdateScheduleCommand,
} from '@aws-sdk/client-scheduler';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { localScheduler, schedulerFromEnv } from '../../../functions/schedules/scheduler.ts';
import type { ScheduleRecord } from '../../../functions/shared/repositories/schedules.ts';

const client = mockClient(SchedulerClient);
const AWS_ENV = {
  SCHEDULE_GROUP_NAME: 'keepsake-schedules',
  BACKUP_STATE_MACHINE_ARN: 'arn:aws:states:eu-central-1:123456789012:stateMachine:keepsake-backup',
  SCHEDULER_ROLE_ARN: 'arn:aws:iam::123456789012:role/keepsake-scheduler',
};
const RECORD: ScheduleRecord = {
  id: 'sch-1',
  sourceId: 'src-1',
  cron: '0 2 * * *',
  timeZone: 'UTC',
  enabled: true,
  retention: { daily: 7, weekly: 4, monthly: 6, keepLast: 0, includeManualBackups: false },
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
  revision: 1,
};

beforeEach(() => {
  client.reset();
  client.onAnyCommand().resolves({});
});
afterAll(() => client.restore());

describe('choosing the scheduler port from the environment', () => {
  it('KEEPSAKE_SCHEDULER=local: a no-op port that needs no EventBridge settings and calls nothing', async () => {
    const port = schedulerFromEnv(new SchedulerClient({}), { KEEPSAKE_SCHEDULER: 'local' });
    expect(port).toBe(localScheduler);
    await port.create(RECORD);
    await port.update(RECORD);
    await port.delete(RECORD.id);
    expect(client.calls()).toHaveLength(0);
  });

  it('unset or eventbridge: EventBridge Scheduler with the group, state machine and role from the environment', async () => {
    for (const env of [AWS_ENV, { ...AWS_ENV, KEEPSAKE_SCHEDULER: 'eventbridge' }]) {
      client.resetHistory();
      const port = schedulerFromEnv(new SchedulerClient({}), env);
      await port.create(RECORD);
      await port.update(RECORD);
      await port.delete(RECORD.id);
      expect(client).toHaveReceivedCommandWith(CreateScheduleCommand, {
        Name: 'keepsake-sch-1',
        GroupName: 'keepsake-schedules',
        Target: expect.objectContaining({ Arn: AWS_ENV.BACKUP_STATE_MACHINE_ARN, RoleArn: AWS_ENV.SCHEDULER_ROLE_ARN }),
      });
      expect(client).toHaveReceivedCommandWith(UpdateScheduleCommand, { Name: 'keepsake-sch-1' });
      expect(client).toHaveReceivedCommandWith(DeleteScheduleCommand, {
        Name: 'keepsake-sch-1',
        GroupName: 'keepsake-schedules',
      });
    }
  });

  it('fails loudly, naming the variable, when an EventBridge setting is missing', () => {
    expect(() => schedulerFromEnv(new SchedulerClient({}), { ...AWS_ENV, SCHEDULER_ROLE_ARN: '' })).toThrow(
      'environment variable SCHEDULER_ROLE_ARN is required',
    );
    expect(() => schedulerFromEnv(new SchedulerClient({}), { SCHEDULE_GROUP_NAME: 'g' })).toThrow(
      'environment variable BACKUP_STATE_MACHINE_ARN is required',
    );
  });

  it('refuses an unknown mode instead of guessing', () => {
    expect(() => schedulerFromEnv(new SchedulerClient({}), { ...AWS_ENV, KEEPSAKE_SCHEDULER: 'Local' })).toThrow(
      'KEEPSAKE_SCHEDULER must be "local" or "eventbridge", got "Local"',
    );
  });
});
