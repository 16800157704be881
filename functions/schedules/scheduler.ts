import {
  CreateScheduleCommand,
  DeleteScheduleCommand,
  UpdateScheduleCommand,
  type CreateScheduleCommandInput,
  type SchedulerClient,
} from '@aws-sdk/client-scheduler';
import { toEventBridgeCron } from '../../types/cron.ts';
import type { ScheduledBackupInput } from '../../types/schedule.ts';
import { requireEnv } from '../shared/env.ts';
import type { ScheduleRecord } from '../shared/repositories/schedules.ts';

/**
 * Where a Keepsake schedule turns into runs. In AWS that is one EventBridge Scheduler schedule per Keepsake
 * schedule; local mode has no EventBridge and its own scheduler reads the table, so its port does nothing.
 * Every method either does the whole change or throws.
 */
export interface BackupScheduler {
  create(schedule: ScheduleRecord): Promise<void>;
  /** Replaces the definition (expression, time zone, state); recreates it if it has gone missing. */
  update(schedule: ScheduleRecord): Promise<void>;
  /** Succeeds when the schedule is already gone. */
  delete(scheduleId: string): Promise<void>;
}

export interface EventBridgeTarget {
  /** The Scheduler schedule group Keepsake's schedules live in. */
  readonly groupName: string;
  /** The Backup state machine each schedule starts. */
  readonly stateMachineArn: string;
  /** The role Scheduler assumes to start it (allowed to start only that machine). */
  readonly roleArn: string;
}

/** The Scheduler schedule's name: Keepsake ids are at most 36 characters, well within Scheduler's 64. */
export const schedulerName = (scheduleId: string): string => `keepsake-${scheduleId}`;

/** The full definition Scheduler stores; Create and Update take the same fields (Update replaces everything). */
export function scheduleDefinition(schedule: ScheduleRecord, target: EventBridgeTarget): CreateScheduleCommandInput {
  const input: ScheduledBackupInput = { dataSourceId: schedule.sourceId, scheduleId: schedule.id, trigger: 'schedule' };
  return {
    Name: schedulerName(schedule.id),
    GroupName: target.groupName,
    Description: `Keepsake schedule ${schedule.id} of data source ${schedule.sourceId}`,
    ScheduleExpression: toEventBridgeCron(schedule.cron),
    ScheduleExpressionTimezone: schedule.timeZone,
    State: schedule.enabled ? 'ENABLED' : 'DISABLED',
    FlexibleTimeWindow: { Mode: 'OFF' },
    Target: { Arn: target.stateMachineArn, RoleArn: target.roleArn, Input: JSON.stringify(input) },
  };
}

const isNotFound = (error: unknown): boolean => error instanceof Error && error.name === 'ResourceNotFoundException';

/** The AWS port: Create/Update/DeleteSchedule on the given client. */
export function eventBridgeScheduler(client: SchedulerClient, target: EventBridgeTarget): BackupScheduler {
  return {
    async create(schedule) {
      await client.send(new CreateScheduleCommand(scheduleDefinition(schedule, target)));
    },
    async update(schedule) {
      try {
        await client.send(new UpdateScheduleCommand(scheduleDefinition(schedule, target)));
      } catch (error) {
        if (!isNotFound(error)) throw error;
        await client.send(new CreateScheduleCommand(scheduleDefinition(schedule, target)));
      }
    },
    async delete(scheduleId) {
      try {
        await client.send(new DeleteScheduleCommand({ Name: schedulerName(scheduleId), GroupName: target.groupName }));
      } catch (error) {
        if (!isNotFound(error)) throw error;
      }
    },
  };
}

/** Local mode: nothing to keep in step, the local scheduler evaluates the schedules in the table. */
export const localScheduler: BackupScheduler = {
  create: async () => {},
  update: async () => {},
  delete: async () => {},
};

/**
 * The port the environment asks for: `KEEPSAKE_SCHEDULER=local` selects the local one; unset or `eventbridge`, EventBridge, with
 * SCHEDULE_GROUP_NAME, BACKUP_STATE_MACHINE_ARN and SCHEDULER_ROLE_ARN required (read now, so a missing one fails
 * at cold start rather than on the first request).
 */
export function schedulerFromEnv(client: SchedulerClient, env: NodeJS.ProcessEnv = process.env): BackupScheduler {
  const mode = env.KEEPSAKE_SCHEDULER ?? 'eventbridge';
  if (mode === 'local') return localScheduler;
  if (mode !== 'eventbridge') throw new Error(`KEEPSAKE_SCHEDULER must be "local" or "eventbridge", got "${mode}"`);
  return eventBridgeScheduler(client, {
    groupName: requireEnv('SCHEDULE_GROUP_NAME', env),
    stateMachineArn: requireEnv('BACKUP_STATE_MACHINE_ARN', env),
    roleArn: requireEnv('SCHEDULER_ROLE_ARN', env),
  });
}
