import * as z from 'zod';

/** Engines the runner can dump; MongoDB and others join through `ENGINES` and the runner's `engines/`. */
export const EngineSchema = z.enum(['mysql', 'mariadb', 'postgresql']);
export type Engine = z.infer<typeof EngineSchema>;

/**
 * What a backup object holds. MySQL and MariaDB share one format (mysqldump's SQL, restorable into either), so a
 * backup restores into any engine of its format and is refused by the others.
 */
export type DumpFormat = 'mysqlSql' | 'pgCustom';

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
  /**
   * `pg_dump -Fc -Z0` (the custom archive, uncompressed) gzipped by the runner's own compressor: as fast and as small
   * as plain SQL through igzip, 3.9× faster than pg_dump's own zlib (`npm run bench:pg`), and pg_restore can choose
   * --no-owner/--no-privileges at restore time and list or read the archive through to check it.
   */
  pgCustom: {
    extension: '.dump.gz',
    contentType: 'application/gzip',
    stockRestore:
      'gunzip -c backup.dump.gz | pg_restore --no-owner --no-privileges --exit-on-error -h HOST -U USER -d DATABASE',
  },
};

/** TLS modes (`tls.mode`, MySQL's ssl-mode names) and what an engine calls each one it supports. */
export type TlsModeNames = Partial<
  Record<'disabled' | 'preferred' | 'required' | 'verify-ca' | 'verify-identity', string>
>;

export interface EngineInfo {
  readonly label: string;
  readonly format: DumpFormat;
  readonly defaultPort: number;
  /** The TLS modes a source of this engine may use, each under the engine's own name (the console shows these). */
  readonly tlsModes: TlsModeNames;
  /** Whether a source may name the schemas to back up (`schemas`). */
  readonly schemaFilter: boolean;
  /** The longest database name the server keeps, in UTF-8 bytes; longer ones it refuses or truncates. */
  readonly maxDatabaseNameBytes: number;
}

const MYSQL_TLS_MODES: TlsModeNames = {
  disabled: 'DISABLED',
  preferred: 'PREFERRED',
  required: 'REQUIRED',
  'verify-ca': 'VERIFY_CA',
  'verify-identity': 'VERIFY_IDENTITY',
};

/** The one table of engines: functions/, web/ and the runner read engine facts from here, never from their own lists. */
export const ENGINES: Record<Engine, EngineInfo> = {
  mysql: {
    label: 'MySQL',
    format: 'mysqlSql',
    defaultPort: 3306,
    tlsModes: MYSQL_TLS_MODES,
    schemaFilter: false,
    // 64 characters of utf8mb3 (DatabaseNameSchema counts them); 3 bytes each at most.
    maxDatabaseNameBytes: 192,
  },
  mariadb: {
    label: 'MariaDB',
    format: 'mysqlSql',
    defaultPort: 3306,
    tlsModes: MYSQL_TLS_MODES,
    schemaFilter: false,
    maxDatabaseNameBytes: 192,
  },
  /**
   * libpq's sslmode names. `prefer` is left out: it falls back to cleartext without a word, and a new engine has no
   * stored sources that relied on it.
   */
  postgresql: {
    label: 'PostgreSQL',
    format: 'pgCustom',
    defaultPort: 5432,
    tlsModes: { disabled: 'disable', required: 'require', 'verify-ca': 'verify-ca', 'verify-identity': 'verify-full' },
    schemaFilter: true,
    // NAMEDATALEN - 1: the server truncates longer names, so two long names could be one database.
    maxDatabaseNameBytes: 63,
  },
};

/** The format a backup object holds, read from its key's extension; undefined for a key of no known format. */
export function formatOfKey(key: string): DumpFormat | undefined {
  return (Object.keys(DUMP_FORMATS) as DumpFormat[]).find((format) => key.endsWith(DUMP_FORMATS[format].extension));
}

/** `.sql.gz or .dump.gz`: the extensions a backup key may end with, for messages. */
export const KNOWN_EXTENSIONS = [...new Set(Object.values(DUMP_FORMATS).map((f) => f.extension))].join(' or ');
