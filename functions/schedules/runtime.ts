import { schedulerClient } from '../shared/clients.ts';
import { tableFromEnv } from '../shared/tableFromEnv.ts';
import { schedulerFromEnv } from './scheduler.ts';
import { scheduleService } from './scheduleService.ts';

/**
 * The schedule service as the handlers use it, built once per container from the shared clients and the
 * environment (TABLE_NAME; KEEPSAKE_SCHEDULER and the EventBridge settings, see `schedulerFromEnv`).
 */
export const schedules = scheduleService(tableFromEnv(), schedulerFromEnv(schedulerClient));
