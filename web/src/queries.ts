import { useQuery } from '@tanstack/react-query';
import type { Page } from '../../types/api.ts';
import type { DataSource } from '../../types/dataSource.ts';
import type { Schedule } from '../../types/schedule.ts';
import { api } from './api.ts';

/** The data sources, shared by every page that names or picks one (one cache entry, invalidated on change). */
export function useDataSources(options: { enabled?: boolean } = {}) {
  return useQuery({
    queryKey: ['data-sources'],
    queryFn: () => api.get<Page<DataSource>>('/v1/data-sources?limit=100'),
    enabled: options.enabled ?? true,
  });
}

/** Every schedule (one cache entry for the pages that list them or name a source's; invalidated on change). */
export function useSchedules() {
  return useQuery({ queryKey: ['schedules'], queryFn: () => api.get<Page<Schedule>>('/v1/schedules?limit=100') });
}

/** The refetch interval of a view of backups or restores: every 2 s while any is queued or running, else none. */
export function pollWhileActive(items: readonly { readonly status: string }[] | undefined): number | false {
  return items?.some((item) => item.status === 'queued' || item.status === 'running') ? 2000 : false;
}
