import { DeleteScheduleCommand, type SchedulerClient } from '@aws-sdk/client-scheduler';
import { requireEnv } from '../shared/env.ts';
import type { ScheduleRemover } from './dataSourceService.ts';

/** Name of a Keepsake schedule's EventBridge Scheduler schedule (the schedules service uses the same). */
export const schedulerScheduleName = (scheduleId: string): string => `keepsake-${scheduleId}`;

/** DeleteSchedule in Keepsake's schedule group; a schedule that does not exist counts as deleted. */
export function eventBridgeScheduleRemover(client: SchedulerClient, groupName: string): ScheduleRemover {
  return {
    async delete(scheduleId) {
      try {
        await client.send(new DeleteScheduleCommand({ Name: schedulerScheduleName(scheduleId), GroupName: groupName }));
      } catch (error) {
        if (!(error instanceof Error && error.name === 'ResourceNotFoundException')) throw error;
      }
    },
  };
}

/** Local mode has no EventBridge: its scheduler reads the schedules from the table, so deleting the items is enough. */
export const localScheduleRemover: ScheduleRemover = { delete: async () => {} };

/**
 * As the schedules service reads it: `KEEPSAKE_SCHEDULER=local` selects the local no-op; otherwise EventBridge
 * Scheduler in the group `SCHEDULE_GROUP_NAME` (required, read now so a missing one fails at cold start).
 */
export function scheduleRemoverFromEnv(client: SchedulerClient, env: NodeJS.ProcessEnv = process.env): ScheduleRemover {
  if (env.KEEPSAKE_SCHEDULER === 'local') return localScheduleRemover;
  return eventBridgeScheduleRemover(client, requireEnv('SCHEDULE_GROUP_NAME', env));
}
