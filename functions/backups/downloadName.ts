/**
 * Characters no part of a saved file's name may hold: path separators, characters Windows refuses, quotes, C0/C1
 * controls, and the bidirectional controls that could make `…exe.sql.gz` read as something else.
 */
const UNSAFE = /[\p{Cc}"'\\/:*?<>|\u200e\u200f\u202a-\u202e\u2066-\u2069]+/gu;
/** Each of the source and database parts: the whole name stays well under the 255 bytes file systems allow. */
const MAX_PART = 60;

function safePart(text: string): string {
  const cleaned = text.normalize('NFC').replace(UNSAFE, '_').replace(/\s+/g, ' ').trim().replace(/^\.+/, '');
  return [...cleaned].slice(0, MAX_PART).join('').trim() || '_';
}

/**
 * The name a downloaded backup is saved under: `{source}-{database}-{timestamp}{ext}`, the time the backup was made
 * in UTC (`2026-03-01T11-59-00Z`: no colons, which Windows refuses) and the extension of its object key (`.sql.gz`,
 * `.dump.gz`), so the file says which engine's tool reads it.
 */
export function downloadFileName(backup: {
  readonly sourceName: string;
  readonly database: string;
  readonly createdAt: string;
  readonly key: string;
}): string {
  const stamp = `${backup.createdAt.slice(0, 19).replace(/:/g, '-')}Z`;
  const base = backup.key.slice(backup.key.lastIndexOf('/') + 1);
  const ext = /(?:\.[A-Za-z0-9]+)+$/.exec(base)?.[0] ?? '';
  return `${safePart(backup.sourceName)}-${safePart(backup.database)}-${stamp}${ext}`;
}

/** RFC 5987's attr-char: what `encodeURIComponent` leaves but `'()*` (and `!`, which may stay, is kept). */
const encodeExtValue = (text: string): string =>
  encodeURIComponent(text).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/**
 * `Content-Disposition: attachment` naming `fileName` (RFC 6266): `filename="…"` with an ASCII stand-in, and where
 * the name is not plain ASCII also `filename*=UTF-8''…` (RFC 5987), which browsers prefer when they read it.
 * `fileName` comes from `downloadFileName`, so it holds no quote or backslash to escape.
 */
export function attachmentDisposition(fileName: string): string {
  const ascii = fileName
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^\x20-\x7e]/g, '_');
  return ascii === fileName
    ? `attachment; filename="${fileName}"`
    : `attachment; filename="${ascii}"; filename*=UTF-8''${encodeExtValue(fileName)}`;
}
