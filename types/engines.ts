import * as z from 'zod';

/** Engines the runner can dump; MongoDB and others join through `ENGINES` and the runner's `engines/`. */
export const EngineSchema = z.enum(['mysql', 'mariadb']);
export type Engine = z.infer<typeof EngineSchema>;

/**
 * What a backup object holds. MySQL and MariaDB share one format (mysqldump's SQL, restorable into either), so a
 * backup restores into any engine of its format and is refused by the others.
 */
export type DumpFormat = 'mysqlSql';

export interface DumpFormatInfo {
  /** How every object key of the format ends: a restore or verify reads the format from the key. */
  readonly extension: string;
  /** The object's Content-Type: the object IS a .gz file (no Content-Encoding, or browsers would inflate it). */
  readonly contentType: string;
  /** How to restore a downloaded backup with the stock tools, for people reading the console or README. */
  readonly stockRestore: string;
}

export const DUMP_FORMATS: Record<DumpFormat, DumpFormatInfo> = {
  mysqlSql: {
    extension: '.sql.gz',
    contentType: 'application/gzip',
    stockRestore: 'gunzip -c backup.sql.gz | mysql -h HOST -u USER -p DATABASE',
  },
};

export interface EngineInfo {
  readonly label: string;
  readonly format: DumpFormat;
  readonly defaultPort: number;
}

/** The one table of engines: functions/, web/ and the runner read engine facts from here, never from their own lists. */
export const ENGINES: Record<Engine, EngineInfo> = {
  mysql: { label: 'MySQL', format: 'mysqlSql', defaultPort: 3306 },
  mariadb: { label: 'MariaDB', format: 'mysqlSql', defaultPort: 3306 },
};

/** The format a backup object holds, read from its key's extension; undefined for a key of no known format. */
export function formatOfKey(key: string): DumpFormat | undefined {
  return (Object.keys(DUMP_FORMATS) as DumpFormat[]).find((format) => key.endsWith(DUMP_FORMATS[format].extension));
}

/** `.sql.gz or .dump.gz`: the extensions a backup key may end with, for messages. */
export const KNOWN_EXTENSIONS = [...new Set(Object.values(DUMP_FORMATS).map((f) => f.extension))].join(' or ');
