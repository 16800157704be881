/** Display helpers: sizes in binary units, durations and ages the way an operator reads them. */
export function formatBytes(bytes: number | undefined): string {
  if (bytes === undefined) return '—';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

export function formatDuration(ms: number | undefined): string {
  if (ms === undefined) return '—';
  if (ms < 1000) return `${ms} ms`;
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  return minutes < 60 ? `${minutes} min ${seconds % 60} s` : `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

export function formatAge(iso: string | undefined, now: Date = new Date()): string {
  if (!iso) return 'never';
  const seconds = Math.max(0, Math.round((now.getTime() - new Date(iso).getTime()) / 1000));
  if (seconds < 60) return `${seconds} s ago`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.floor(minutes / 60);
  return hours < 48 ? `${hours} h ago` : `${Math.floor(hours / 24)} days ago`;
}

export const formatTime = (iso: string | undefined): string => (iso ? new Date(iso).toLocaleString() : '—');

/**
 * An id cut to 8 characters for narrow table cells, the full id going in a title. Safety backups' ids are `safety-`
 * and a hash (functions/orchestration/restoreSteps.ts): the hash is what tells them apart.
 */
export const shortId = (id: string): string => id.replace(/^safety-/, '').slice(0, 8);

/** What a backup's or restore's page is titled (heading and browser tab): "source · database · local time". */
export const jobTitle = (source: string, database: string, iso: string): string =>
  `${source} · ${database} · ${formatTime(iso)}`;
