import type { ApiRoute } from '../shared/route.ts';

/** The schedule routes of the API, for the Api construct and the local HTTP adapter. */
export const scheduleRoutes = [
  { operation: 'listSchedules', method: 'GET', path: '/v1/schedules', handler: 'schedules/listSchedules.ts' },
  {
    operation: 'listSourceSchedules',
    method: 'GET',
    path: '/v1/data-sources/{id}/schedules',
    handler: 'schedules/listSourceSchedules.ts',
  },
  {
    operation: 'createSchedule',
    method: 'POST',
    path: '/v1/data-sources/{id}/schedules',
    handler: 'schedules/createSchedule.ts',
  },
  { operation: 'getSchedule', method: 'GET', path: '/v1/schedules/{id}', handler: 'schedules/getSchedule.ts' },
  { operation: 'updateSchedule', method: 'PATCH', path: '/v1/schedules/{id}', handler: 'schedules/updateSchedule.ts' },
  { operation: 'deleteSchedule', method: 'DELETE', path: '/v1/schedules/{id}', handler: 'schedules/deleteSchedule.ts' },
  {
    operation: 'pauseSchedule',
    method: 'POST',
    path: '/v1/schedules/{id}/pause',
    handler: 'schedules/pauseSchedule.ts',
  },
  {
    operation: 'resumeSchedule',
    method: 'POST',
    path: '/v1/schedules/{id}/resume',
    handler: 'schedules/resumeSchedule.ts',
  },
] as const satisfies readonly ApiRoute[];
