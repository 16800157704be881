import { useQuery } from '@tanstack/react-query';
import { useSyncExternalStore } from 'react';
import { allPages, type Page } from '../../types/api.ts';
import type { Backup } from '../../types/backup.ts';
import type { DataSource } from '../../types/dataSource.ts';
import type { Schedule } from '../../types/schedule.ts';
import { api } from './api.ts';

/** The largest page the API gives. */
const PAGE_LIMIT = 100;

/** Every data source, page after page until the API says there are no more (the console shows and picks from all). */
export const everyDataSource = async (): Promise<Page<DataSource>> => ({
  items: await allPages((cursor) => api.listDataSources({ limit: PAGE_LIMIT, cursor })),
});

/** Every schedule, page after page. */
export const everySchedule = async (): Promise<Page<Schedule>> => ({
  items: await allPages((cursor) => api.listSchedules({ limit: PAGE_LIMIT, cursor })),
});

/** The data sources, shared by every page that names or picks one (one cache entry, invalidated on change). */
export function useDataSources(options: { enabled?: boolean } = {}) {
  return useQuery({ queryKey: ['data-sources'], queryFn: everyDataSource, enabled: options.enabled ?? true });
}

/** Every schedule (one cache entry for the pages that list them or name a source's; invalidated on change). */
export function useSchedules() {
  return useQuery({ queryKey: ['schedules'], queryFn: everySchedule });
}

/** The refetch interval of a view of backups or restores: every 2 s while any is queued or running, else none. */
export function pollWhileActive(items: readonly { readonly status: string }[] | undefined): number | false {
  return items?.some((item) => item.status === 'queued' || item.status === 'running') ? 2000 : false;
}

/** How long a page keeps asking after a verification it started, at most (a verification reads the whole object). */
const VERIFY_WATCH_MS = 60 * 60_000;

/** A verification started from this console: the `verification.at` its backup had before, and when to stop waiting. */
export interface VerifyWatch {
  readonly before: string | undefined;
  readonly until: number;
}
export type VerifyWatches = Readonly<Record<string, VerifyWatch>>;

// The record has no "verifying" state of its own: what this tab started is remembered here, across pages.
let verifyWatches: VerifyWatches = {};
const verifyWatchListeners = new Set<() => void>();

/** Remembers that a verification of `backup` was just started, so the views of it poll until its outcome is in. */
export function watchVerification(backup: Pick<Backup, 'id' | 'verification'>, now = Date.now()): void {
  verifyWatches = { ...verifyWatches, [backup.id]: { before: backup.verification?.at, until: now + VERIFY_WATCH_MS } };
  for (const listener of verifyWatchListeners) listener();
}

/** The verifications started from this tab (re-rendering when one is added). */
export function useVerifyWatches(): VerifyWatches {
  return useSyncExternalStore(
    (listener) => {
      verifyWatchListeners.add(listener);
      return () => verifyWatchListeners.delete(listener);
    },
    () => verifyWatches,
  );
}

/** Whether `backup` awaits the outcome of a verification started here: its record shows no newer one yet. */
export function awaitingVerification(
  backup: Pick<Backup, 'id' | 'verification'>,
  watches: VerifyWatches,
  now = Date.now(),
): boolean {
  const watch = watches[backup.id];
  return watch !== undefined && now < watch.until && backup.verification?.at === watch.before;
}

/** The refetch interval of a view of backups: every 2 s while any is queued, running or being verified, else none. */
export function pollBackups(
  backups: readonly Pick<Backup, 'id' | 'status' | 'verification'>[] | undefined,
  watches: VerifyWatches,
  now = Date.now(),
): number | false {
  return pollWhileActive(backups) || (backups?.some((b) => awaitingVerification(b, watches, now)) ? 2000 : false);
}
