import type * as z from 'zod';
import type { Connection } from '../../types/dataSource.ts';
import { BackupJobSchema, RestoreJobSchema, type BackupJob, type RestoreJob } from '../../types/job.ts';
import type { TestPostgres } from './postgres.ts';
import { s3Location } from './services.ts';

type BackupInput = Partial<z.input<typeof BackupJobSchema>>;
type RestoreInput = Partial<z.input<typeof RestoreJobSchema>> &
  Pick<z.input<typeof RestoreJobSchema>, 'key' | 'expectedSha256'>;

/** The application user's connection to `database` on a test server, TLS verified against the server's CA. */
export function pgConnection(server: TestPostgres, database: string, overrides: Partial<Connection> = {}): Connection {
  return {
    engine: 'postgresql',
    host: 'localhost',
    port: server.port,
    database,
    username: server.user,
    tls: { mode: 'verify-identity', caPem: server.caCert },
    ...overrides,
  };
}

/** Environment for a PostgreSQL job: the password where `{ from: 'env' }` finds it, the server's own client tools. */
export function pgJobEnv(server: TestPostgres, password = server.password): NodeJS.ProcessEnv {
  return { ...process.env, KEEPSAKE_DB_PASSWORD: password, KEEPSAKE_PG_CLIENT_DIR: server.binDir };
}

export function pgBackupJob(server: TestPostgres, database: string, overrides: BackupInput = {}): BackupJob {
  return BackupJobSchema.parse({
    mode: 'backup',
    sourceId: 'pg-source',
    connection: pgConnection(server, database),
    password: { from: 'env' },
    s3: s3Location(),
    ...overrides,
  });
}

export function pgRestoreJob(server: TestPostgres, target: string, overrides: RestoreInput): RestoreJob {
  return RestoreJobSchema.parse({
    mode: 'restore',
    connection: pgConnection(server, target),
    password: { from: 'env' },
    s3: s3Location(),
    targetDatabase: target,
    ...overrides,
  });
}
