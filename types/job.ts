import * as z from 'zod';
import { ConnectionSchema, DatabaseNameSchema, IdSchema, TlsSchema, checkEngineFields } from './dataSource.ts';
import { S3ETagSchema, S3VersionIdSchema, Sha256Schema } from './backup.ts';
import { DUMP_FORMATS, ENGINES, KNOWN_EXTENSIONS, formatOfKey, type Engine } from './engines.ts';

/**
 * Where the runner gets the database password. Never the password itself: a job description travels through
 * Step Functions input, ECS overrides and logs, so it only says where to look.
 */
export const PasswordRefSchema = z.discriminatedUnion('from', [
  z
    .object({
      from: z.literal('env'),
      name: z
        .string()
        .regex(/^[A-Z_][A-Z0-9_]*$/, 'name must be an environment variable name')
        .default('KEEPSAKE_DB_PASSWORD'),
    })
    .strict(),
  z
    .object({
      from: z.literal('secretsManager'),
      secretId: z.string().min(1, 'secretId is required'),
      jsonKey: z.string().min(1).default('password'),
    })
    .strict(),
]);
export type PasswordRef = z.infer<typeof PasswordRefSchema>;

/** The bucket the runner writes to or reads from. `endpoint` points at an S3-compatible server (local mode). */
export const S3LocationSchema = z
  .object({
    bucket: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'bucket must be a valid S3 bucket name'),
    region: z.string().min(1).default('us-east-1'),
    endpoint: z.url('endpoint must be a URL').optional(),
    forcePathStyle: z.boolean().optional(),
    /** Customer KMS key for SSE-KMS; without it the bucket's default encryption applies. */
    kmsKeyId: z.string().min(1).optional(),
  })
  .strict();
export type S3Location = z.infer<typeof S3LocationSchema>;

export const ObjectKeySchema = z.string().min(1, 'key is required').max(1024, 'key must be at most 1024 characters');

/**
 * The backup object a restore or verify reads and the SHA-256 it is held to. `versionId` and `etag` name the exact
 * object recorded when the backup was finalized: every read asks for that version and sends `If-Match: etag`. A job
 * without them (written by hand, or for a backup recorded before they were kept) is held to the ETag of its first read.
 */
const BackupObjectFields = {
  s3: S3LocationSchema,
  /** Its extension says the backup's format (`formatOfKey`), which decides how it is checked and restored. */
  key: ObjectKeySchema.refine((key) => formatOfKey(key) !== undefined, `key must end with ${KNOWN_EXTENSIONS}`),
  /** The checksum recorded when the backup was taken: the object is judged by it, never by its tags. */
  expectedSha256: Sha256Schema,
  versionId: S3VersionIdSchema.optional(),
  etag: S3ETagSchema.optional(),
};

/** Where the job-building Lambdas store a CA bundle: content-addressed, so every job naming the same PEM shares it. */
export const caBundleKey = (sha256: string): string => `ca-bundles/${sha256}.pem`;

/**
 * A CA bundle in the job's bucket, named instead of carried: RunTask allows 8,192 characters of container overrides
 * in all, and a bundle (RDS's global one is ~160 KB) does not fit. The runner fetches it and holds it to `sha256`.
 */
export const CaBundleRefSchema = z
  .object({
    key: ObjectKeySchema.regex(/^ca-bundles\/[^/]+\.pem$/, 'key must be ca-bundles/{name}.pem'),
    sha256: Sha256Schema,
  })
  .strict();
export type CaBundleRef = z.infer<typeof CaBundleRefSchema>;

/**
 * TLS as a job carries it. The orchestration always names the CA by `caBundle`; an inline `caPem` stays allowed
 * for jobs written by hand (README), which never go through RunTask.
 */
export const JobTlsSchema = TlsSchema.extend({ caBundle: CaBundleRefSchema.optional() })
  .strict()
  .refine((tls) => tls.caPem === undefined || tls.caBundle === undefined, {
    message: 'give the CA as caPem or caBundle, not both',
    path: ['caBundle'],
  });
export type JobTls = z.infer<typeof JobTlsSchema>;

/** The connection in a job: a data source's connection, except that its CA may be a reference (see JobTlsSchema). */
export const JobConnectionSchema = ConnectionSchema.extend({
  tls: JobTlsSchema.default({ mode: 'preferred' }),
}).superRefine(checkEngineFields);
export type JobConnection = z.infer<typeof JobConnectionSchema>;

const DatabaseAccessSchema = z.object({
  connection: JobConnectionSchema,
  password: PasswordRefSchema,
  /** Bounds how long an unreachable or silent server can hold the job before it fails. */
  connectTimeoutSeconds: z.number().int().min(1).max(300).default(10),
});

export const BackupJobSchema = DatabaseAccessSchema.extend({
  mode: z.literal('backup'),
  sourceId: IdSchema,
  s3: S3LocationSchema,
  /** `auto` uses ISA-L's igzip when installed (fastest), else zlib on every core; both write standard gzip. */
  compressor: z.enum(['auto', 'igzip', 'zlib']).default('auto'),
  /**
   * gzip level (zlib scale; igzip gets 1 → -1, 2–5 → -2, 6+ → -3). 2 is the default: `npm run bench` alternates it
   * with level 1, and igzip -2 came out as fast or faster (0.99–1.10×) and 2 % smaller on SQL dumps (1.02× gzip -6).
   */
  compressionLevel: z.number().int().min(1).max(9).default(2),
  /** zlib only: gzip members compressed at once on the libuv pool; 0 means one per CPU core plus one. */
  compressionParallelism: z.number().int().min(0).max(32).default(0),
  /**
   * Multipart part size. Unset, it is sized from the database (5 MiB, the S3 minimum, up to ~45 GB of data;
   * larger as needed to stay within 10,000 parts): peak memory stays ~140 MB for ordinary databases.
   */
  partSizeMiB: z.number().int().min(5).max(5120).optional(),
  /** Parts uploaded at once; 2 keeps S3 busy (4 measured no faster) and holds peak RSS under 150 MB. */
  uploadQueueSize: z.number().int().min(1).max(16).default(2),
  /** Overrides the generated `{sourceId}/{database}/{timestamp}{extension}` key (tests, manual runs). */
  key: ObjectKeySchema.optional(),
  backupId: IdSchema.optional(),
  /**
   * The safety backup before a restore: a database that does not exist yet has nothing to lose, so the job ends
   * with a `skipped` result (exit 0, no object) instead of failing.
   */
  skipIfDatabaseMissing: z.boolean().default(false),
}).strict();
export type BackupJob = z.infer<typeof BackupJobSchema>;

/**
 * Before the first statement, the whole object is read and matched to `expectedSha256`; only then is that same
 * object (same version or ETag) read again and applied, by a client that cannot run shell commands.
 */
export const RestoreJobSchema = DatabaseAccessSchema.extend({
  mode: z.literal('restore'),
  ...BackupObjectFields,
  /** Database to restore into, created when absent; defaults to the connection's database. */
  targetDatabase: DatabaseNameSchema.optional(),
  /**
   * Whether the target existed when the safety step looked (the Restore machine sets it from that step). `false`: the
   * restore creates it with a plain `CREATE DATABASE`, so a database that appeared since, which no safety backup
   * covers, fails the restore instead of being overwritten. Unset (jobs written by hand): created if absent.
   */
  targetExisted: z.boolean().optional(),
  /**
   * A rollback: once the object is checked, the target is dropped and created again with its own character set and
   * collation, so that it ends holding exactly the backup's objects and not also those the undone restore added.
   */
  replaceTarget: z.boolean().default(false),
  /** Rewrite `DEFINER=user@host` to CURRENT_USER, for managed servers where the user lacks SUPER. */
  rewriteDefiners: z.boolean().default(false),
  /**
   * A test restore: the target is a scratch database made for it (the job refuses one that exists), which must
   * end up holding `expectTables` tables (the backup's count) and is dropped afterwards whatever the outcome.
   */
  scratch: z.object({ expectTables: z.number().int().nonnegative() }).strict().optional(),
}).strict();
export type RestoreJob = z.infer<typeof RestoreJobSchema>;

export const VerifyJobSchema = z
  .object({
    mode: z.literal('verify'),
    ...BackupObjectFields,
  })
  .strict();
export type VerifyJob = z.infer<typeof VerifyJobSchema>;

/** What names a backup's object in a restore or verify job (see BackupObjectFields). */
export type BackupObjectRef = Pick<VerifyJob, 'key' | 'expectedSha256' | 'versionId' | 'etag'>;

/** What the backup runner is asked to do: one job per process, in a file, an argument or `KEEPSAKE_JOB`. */
export const RunnerJobSchema = z.discriminatedUnion('mode', [BackupJobSchema, RestoreJobSchema, VerifyJobSchema]);
export type RunnerJob = z.infer<typeof RunnerJobSchema>;
export type RunnerJobInput = z.input<typeof RunnerJobSchema>;

export const BackupResultSchema = z.object({
  ok: z.literal(true),
  mode: z.literal('backup'),
  bucket: z.string(),
  key: z.string(),
  compressedBytes: z.number().int().nonnegative(),
  uncompressedBytes: z.number().int().nonnegative(),
  sha256: Sha256Schema,
  tables: z.number().int().nonnegative(),
  serverVersion: z.string(),
  durationMs: z.number().int().nonnegative(),
});
export type BackupResult = z.infer<typeof BackupResultSchema>;

/** A backup with `skipIfDatabaseMissing` of a database that does not exist: nothing was written. */
export const SkippedResultSchema = z.object({
  ok: z.literal(true),
  mode: z.literal('skipped'),
  reason: z.string(),
  durationMs: z.number().int().nonnegative(),
});
export type SkippedResult = z.infer<typeof SkippedResultSchema>;

export const RestoreResultSchema = z.object({
  ok: z.literal(true),
  mode: z.literal('restore'),
  key: z.string(),
  targetDatabase: z.string(),
  compressedBytes: z.number().int().nonnegative(),
  uncompressedBytes: z.number().int().nonnegative(),
  sha256: Sha256Schema,
  durationMs: z.number().int().nonnegative(),
  /** Tables found in a scratch database before it was dropped (test restores only). */
  tables: z.number().int().nonnegative().optional(),
});
export type RestoreResult = z.infer<typeof RestoreResultSchema>;

export const VerifyResultSchema = z.object({
  ok: z.boolean(),
  mode: z.literal('verify'),
  key: z.string(),
  status: z.enum(['ok', 'corrupt']),
  reason: z.string().optional(),
  sha256: z.string().optional(),
  compressedBytes: z.number().int().nonnegative(),
  uncompressedBytes: z.number().int().nonnegative(),
  durationMs: z.number().int().nonnegative(),
});
export type VerifyResult = z.infer<typeof VerifyResultSchema>;

/** The one JSON line a failed job prints; `error` is safe to show (never holds a password). */
export const FailureResultSchema = z.object({
  ok: z.literal(false),
  mode: z.enum(['backup', 'restore', 'verify']).optional(),
  error: z.string(),
});
export type FailureResult = z.infer<typeof FailureResultSchema>;

/**
 * `{sourceId}/{database}/{YYYY-MM-DD_HH-mm-ss}{extension}` in UTC, the extension the engine's format's (`.sql.gz`
 * for MySQL and MariaDB); the database name is URI-encoded to stay one segment. A `label` (the safety backup before
 * a restore) goes before the extension: the key keeps its shape.
 */
export function backupKey(engine: Engine, sourceId: string, database: string, at: Date, label?: string): string {
  const stamp = at.toISOString().replace('T', '_').replace(/:/g, '-').slice(0, 19);
  const { extension } = DUMP_FORMATS[ENGINES[engine].format];
  return `${sourceId}/${databaseKeySegment(database)}/${stamp}${label ? `_${label}` : ''}${extension}`;
}

/**
 * The database's segment of a backup key: its name URI-encoded, and the dot segments `.` and `..` (valid database
 * names) with their dots encoded too, since clients normalize them away in URLs (`{source}/../x` is `x`, outside
 * the source's prefix). Every other name keeps the segment it always had; `decodeURIComponent` gives the name back.
 */
function databaseKeySegment(database: string): string {
  return database === '.' || database === '..' ? database.replaceAll('.', '%2E') : encodeURIComponent(database);
}

/**
 * Tags the runner writes on a backup object once it has streamed completely: the facts the Backup state machine
 * records (read back with HeadObject + GetObjectTagging: the ECS task's own output carries no result) and the
 * checksum every later restore and verify is held to. An object without the SHA-256 tag is not a backup.
 */
export const RESULT_TAGS = {
  sha256: 'keepsake-sha256',
  uncompressedBytes: 'keepsake-uncompressed-bytes',
  tables: 'keepsake-tables',
  durationMs: 'keepsake-duration-ms',
} as const;

/** Object metadata (set when the upload starts) that the record keeps: the server's version string. */
export const SERVER_VERSION_METADATA = 'keepsake-server-version';
