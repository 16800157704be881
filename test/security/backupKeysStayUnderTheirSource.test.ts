import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runJob } from '../../containers/backup/src/runJob.ts';
import { backupKey } from '../../types/job.ts';
import { backupJob, dropDatabases, expectBackupKey, ident, keysUnder } from '../support/runner.ts';
import { jobEnv, services } from '../support/services.ts';
import { rootSql } from '../support/sql.ts';

const AT = new Date('2026-03-05T07:08:09Z');
/** A presigning client as the API's: virtual-hosted style, no endpoint override. */
const s3 = new S3Client({
  region: 'us-east-1',
  credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
});

/** The object key a client reaches with a presigned GET of `key`, after it has normalized the URL as browsers and curl do. */
async function keyReachedBy(key: string): Promise<string> {
  const url = new URL(
    await getSignedUrl(s3, new GetObjectCommand({ Bucket: 'keepsake-backups', Key: key }), { expiresIn: 60 }),
  );
  return url.pathname.slice(1).split('/').map(decodeURIComponent).join('/');
}

/**
 * Database names `.` and `..` are valid on MySQL and MariaDB, and as key segments they are dot segments: a
 * presigned URL for `{source}/../…` is normalized by its client to an object outside the source's prefix.
 */
describe('backup keys stay under their source', () => {
  it.each(['.', '..'])(
    'keeps the database %j one segment of its own, in the key and in a presigned URL',
    async (database) => {
      for (const key of [
        backupKey('mysql', 'src-1', database, AT),
        backupKey('mysql', 'src-1', database, AT, 'before-restore-rs-1'),
      ]) {
        const [source, segment, file, ...rest] = key.split('/');
        expect(rest).toEqual([]);
        expect(source).toBe('src-1');
        expect(decodeURIComponent(segment!)).toBe(database);
        expect(file).toMatch(/^2026-03-05_07-08-09(_before-restore-rs-1)?\.sql\.gz$/);
        expect(await keyReachedBy(key)).toBe(key);
      }
    },
  );

  it('gives every other name the key it always had', () => {
    for (const database of ['shop', '...', '.hidden', 'a.b', 'trailing.', '%2E%2E', 'a/../b']) {
      expect(backupKey('mysql', 'src-1', database, AT)).toBe(
        `src-1/${encodeURIComponent(database)}/2026-03-05_07-08-09.sql.gz`,
      );
    }
  });

  describe.runIf(services().mariadb !== null)('through the runner', () => {
    const DOTS = '..';
    beforeAll(() =>
      rootSql(
        `DROP DATABASE IF EXISTS ${ident(DOTS)}; CREATE DATABASE ${ident(DOTS)}; CREATE TABLE ${ident(DOTS)}.t (id INT PRIMARY KEY);`,
      ),
    );
    afterAll(() => dropDatabases(DOTS));

    it('backs up the database `..` under its source', async () => {
      const before = new Date();
      const result = await runJob(backupJob(DOTS, { sourceId: `dots-${process.pid}` }), { env: jobEnv() });
      expect(result).toMatchObject({ ok: true, mode: 'backup', tables: 1 });
      const [key] = await keysUnder(`dots-${process.pid}/`);
      expectBackupKey(key!, `dots-${process.pid}`, DOTS, before, new Date());
      expect(await keyReachedBy(key!)).toBe(key);
    });
  });
});
