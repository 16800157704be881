/** How the CLI shows sizes, times and tables to a person (`--json` shows the API's objects instead). */

/** Bytes in binary units with one decimal: `512 B`, `12.3 KiB`, `4.0 MiB`, `1.2 GiB`. */
export function size(bytes: number | undefined): string {
  if (bytes === undefined) return '-';
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}

/** A duration a person reads at a glance: `45 s`, `3 min 5 s`, `2 h 10 min`. */
export function duration(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${seconds % 60} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/**
 * The time zone times are shown in: TZ when it names one Intl knows (an IANA name such as Europe/Berlin), else the
 * system's. A TZ Intl cannot read (a POSIX rule) falls back rather than failing the command.
 */
function zoneOf(tz: string | undefined): string | undefined {
  if (!tz) return undefined;
  try {
    return new Intl.DateTimeFormat('en', { timeZone: tz.replace(/^:/, '') }).resolvedOptions().timeZone;
  } catch {
    return undefined;
  }
}

/**
 * An ISO instant as local time with its offset, `2026-03-01 13:05 UTC+1`: sortable like ISO, readable, and the
 * zone is on the line, so a time pasted into a ticket means the same to a reader elsewhere.
 */
export function localTime(iso: string | undefined, tz?: string): string {
  if (!iso) return '-';
  const timeZone = zoneOf(tz);
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-GB', {
      ...(timeZone && { timeZone }),
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
      timeZoneName: 'shortOffset',
    })
      .formatToParts(new Date(iso))
      .map((part) => [part.type, part.value]),
  );
  // Intl writes the zone as GMT+1 or UTC+1 by locale and version, and UTC itself as GMT or UTC+0.
  const zone = String(parts.timeZoneName)
    .replace(/^(GMT|UTC)/, 'UTC')
    .replace(/^UTC[+-]0?0?$/, 'UTC');
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute} ${zone}`;
}

/**
 * Rows under a header, columns padded to their widest cell and separated by two spaces; the last column is not
 * padded, so a long error message does not push trailing spaces.
 */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}
