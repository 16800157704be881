import { GetObjectTaggingCommand, PutObjectCommand, PutObjectTaggingCommand } from '@aws-sdk/client-s3';
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { bucket, sqlString } from './runner.ts';
import { testS3Client } from './services.ts';
import { rootSql } from './sql.ts';

/**
 * What someone who can write to the bucket would plant: a dump-shaped object whose first line runs a shell command
 * through the client (`\!`) and whose next statement creates a table, with the trailer a real dump ends with.
 */
export interface HostileDump {
  readonly bytes: Buffer;
  /** The file the shell command creates if it ever runs. */
  readonly marker: string;
  /** The table the SQL creates if it ever runs. */
  readonly table: string;
}

let planted = 0;

export function hostileDump(name: string): HostileDump {
  planted += 1;
  const marker = join(tmpdir(), `keepsake-pwned-${name}-${process.pid}-${planted}`);
  const table = `pwned_${name}_${planted}`.replace(/\W/g, '_');
  const sql = [
    `\\! touch ${marker}`,
    `CREATE TABLE ${table} (id INT PRIMARY KEY);`,
    `INSERT INTO ${table} VALUES (1);`,
    '-- Dump completed on 2030-01-01  0:00:00',
    '',
  ].join('\n');
  return { bytes: gzipSync(sql), marker, table };
}

/**
 * Writes `body` under `key` and puts the object's tags back as they were: only the bytes change, as when the
 * object is replaced by someone who copies the tags too (a PUT drops them on S3; s3rver happens to keep them).
 */
export async function replaceKeepingTags(key: string, body: Uint8Array): Promise<void> {
  const s3 = testS3Client();
  const { TagSet } = await s3.send(new GetObjectTaggingCommand({ Bucket: bucket(), Key: key }));
  await s3.send(new PutObjectCommand({ Bucket: bucket(), Key: key, Body: body }));
  await s3.send(new PutObjectTaggingCommand({ Bucket: bucket(), Key: key, Tagging: { TagSet: TagSet ?? [] } }));
}

/** Whether anything of the hostile dump happened: its file exists, or its table does in any database. */
export async function traces(dump: HostileDump): Promise<{ markerCreated: boolean; tableCreated: boolean }> {
  const tables = await rootSql(
    `SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_NAME = ${sqlString(dump.table)}`,
  );
  return { markerCreated: existsSync(dump.marker), tableCreated: tables.trim() !== '0' };
}

export async function removeMarker(dump: HostileDump): Promise<void> {
  await rm(dump.marker, { force: true });
}
