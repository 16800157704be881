import { useQuery } from '@tanstack/react-query';
import type { Page } from '../../types/api.ts';
import type { DataSource } from '../../types/dataSource.ts';
import { api } from './api.ts';

/** The data sources, shared by every page that names or picks one (one cache entry, invalidated on change). */
export function useDataSources(options: { enabled?: boolean } = {}) {
  return useQuery({ queryKey: ['data-sources'], queryFn: () => api.get<Page<DataSource>>('/v1/data-sources?limit=100'), enabled: options.enabled ?? true });
}
