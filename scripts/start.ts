/**
 * `npm start`: Keepsake on this machine with no AWS account. Starts a throwaway MariaDB with a demo database
 * (or uses the MySQL given by flags) and a local S3, then backs the database up with the runner, verifies the
 * backup and restores it into a new database, printing each result. Exits 0 only if the round trip held.
 *
 *   npm start                                  # demo MariaDB under .keepsake/local
 *   npm start -- --host db --port 3306 --user me --database shop   # password from KEEPSAKE_DB_PASSWORD
 */
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import * as z from 'zod';
import { runBackup } from '../containers/backup/src/backup.ts';
import { runRestore } from '../containers/backup/src/restore.ts';
import { runVerify } from '../containers/backup/src/verify.ts';
import { DatabaseNameSchema, HostSchema, PortSchema, UsernameSchema } from '../types/dataSource.ts';
import { BackupJobSchema, RestoreJobSchema, VerifyJobSchema, type BackupJob } from '../types/job.ts';
import { describeZodError } from '../types/zodMessages.ts';
import { startMariaDb, type LocalMariaDb } from './local/mariadb.ts';
import { S3RVER_CREDENTIALS, startS3rver } from './local/s3rver.ts';

const DATA_DIR = resolve('.keepsake/local');
const DEMO_DATABASE = 'keepsake_demo';

const FlagsSchema = z
  .object({
    host: HostSchema.optional(),
    port: z.coerce.number().pipe(PortSchema).optional(),
    user: UsernameSchema.optional(),
    database: DatabaseNameSchema.optional(),
  })
  .refine((f) => (f.host === undefined) === (f.database === undefined), {
    message: 'give --host and --database together (or neither, for the demo MariaDB)',
    path: ['host'],
  });

const DEMO_SQL = `
CREATE DATABASE IF NOT EXISTS ${DEMO_DATABASE} CHARACTER SET utf8mb4;
USE ${DEMO_DATABASE};
CREATE TABLE IF NOT EXISTS customers (id INT PRIMARY KEY, name VARCHAR(100) NOT NULL, email VARCHAR(200), created DATETIME NOT NULL);
CREATE TABLE IF NOT EXISTS orders (id INT PRIMARY KEY, customer_id INT NOT NULL, total DECIMAL(10,2) NOT NULL, note TEXT,
  FOREIGN KEY (customer_id) REFERENCES customers(id));
INSERT IGNORE INTO customers SELECT seq, CONCAT('Customer ', seq, IF(seq % 7 = 0, ' 🎁', '')), CONCAT('c', seq, '@example.com'),
  '2026-01-01' + INTERVAL seq MINUTE FROM seq_1_to_2000;
INSERT IGNORE INTO orders SELECT seq, 1 + seq % 2000, ROUND(seq * 1.37 % 500, 2), IF(seq % 3 = 0, NULL, 'gift wrap') FROM seq_1_to_10000;
CREATE OR REPLACE VIEW order_totals AS SELECT customer_id, SUM(total) AS spent FROM orders GROUP BY customer_id;
`;

function step(label: string, detail: unknown): void {
  console.log(`✔ ${label}`);
  console.log(`  ${JSON.stringify(detail)}`);
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { host: { type: 'string' }, port: { type: 'string' }, user: { type: 'string' }, database: { type: 'string' } },
  });
  const flags = FlagsSchema.safeParse(values);
  if (!flags.success) {
    console.error(`keepsake: ${describeZodError(flags.error)}`);
    return 2;
  }
  const { host, port, user, database } = flags.data;

  let demo: LocalMariaDb | undefined;
  const s3 = await startS3rver(join(DATA_DIR, 's3'), 'keepsake-local');
  try {
    let connection: BackupJob['connection'];
    if (host && database) {
      if (!process.env.KEEPSAKE_DB_PASSWORD) {
        console.error('keepsake: set KEEPSAKE_DB_PASSWORD to the password of --user');
        return 2;
      }
      connection = { engine: 'mysql', host, port: port ?? 3306, database, username: user ?? 'root', tls: { mode: 'preferred' } };
    } else {
      demo = await startMariaDb(join(DATA_DIR, 'mariadb'));
      await demo.sql(DEMO_SQL);
      process.env.KEEPSAKE_DB_PASSWORD = demo.password;
      connection = { engine: 'mariadb', host: demo.host, port: demo.port, database: DEMO_DATABASE, username: demo.user, tls: { mode: 'preferred' } };
      console.log(`MariaDB (demo) on 127.0.0.1:${demo.port}, data in ${join(DATA_DIR, 'mariadb')}`);
    }
    console.log(`S3 (s3rver) on ${s3.endpoint}, bucket ${s3.bucket}, data in ${join(DATA_DIR, 's3')}\n`);
    process.env.AWS_ACCESS_KEY_ID ??= S3RVER_CREDENTIALS.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY ??= S3RVER_CREDENTIALS.secretAccessKey;
    const location = { bucket: s3.bucket, region: 'us-east-1', endpoint: s3.endpoint, forcePathStyle: true };
    const password = { from: 'env' as const, name: 'KEEPSAKE_DB_PASSWORD' };

    const backup = await runBackup(BackupJobSchema.parse({ mode: 'backup', sourceId: 'local', connection, password, s3: location }));
    step(`backed up ${connection.database}: ${backup.tables} tables, ${backup.uncompressedBytes} B of SQL → ${backup.compressedBytes} B at s3://${backup.bucket}/${backup.key}`, backup);
    const verify = await runVerify(VerifyJobSchema.parse({ mode: 'verify', s3: location, key: backup.key, expectedSha256: backup.sha256 }));
    if (!verify.ok) throw new Error(`verify reported ${verify.status}: ${verify.reason}`);
    step(`verified: sha256 ${verify.sha256}`, verify);
    const target = `${connection.database}_restored`;
    const restore = await runRestore(
      RestoreJobSchema.parse({ mode: 'restore', connection, password, s3: location, key: backup.key, expectedSha256: backup.sha256, targetDatabase: target }),
    );
    step(`restored into ${target}`, restore);
    console.log('\nRound trip OK. Restore it yourself with stock tools: gunzip -c <file>.sql.gz | mysql <database>');
    return 0;
  } catch (error) {
    console.error(`✘ ${(error as Error).message}`);
    return 1;
  } finally {
    await Promise.all([demo?.stop(), s3.stop()]);
  }
}

process.exitCode = await main();
