import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runJob } from '../../containers/backup/src/runJob.ts';
import { startMariaDb, type LocalMariaDb } from '../../scripts/local/mariadb.ts';
import type { Connection } from '../../types/dataSource.ts';
import { backupJob, expectRunnerError, getObjectBytes, ident, keysUnder, restoreJob } from '../support/runner.ts';
import { connectionTo, jobEnv, services } from '../support/services.ts';
import { rootSql } from '../support/sql.ts';

const PID = process.pid;

/** Runs one statement the `mariadb` client never parses (hex → PREPARE), so names with newlines stay intact. */
const exactly = (statement: string) =>
  `SET @s = CONVERT(UNHEX('${Buffer.from(statement, 'utf8').toString('hex')}') USING utf8mb4); PREPARE s FROM @s; EXECUTE s; DEALLOCATE PREPARE s;`;

/** Every database on a server, read as hex so that no client escaping can blur them. */
const databasesOn = async (sql: (statements: string) => Promise<string>) =>
  (await sql('SELECT HEX(SCHEMA_NAME) FROM information_schema.SCHEMATA'))
    .split('\n')
    .filter(Boolean)
    .map((hex) => Buffer.from(hex, 'hex').toString('utf8'));

/** The dump a backup job wrote, as text. */
const dumpOf = async (result: unknown) => {
  expect(result).toMatchObject({ ok: true, mode: 'backup' });
  return gunzipSync(await getObjectBytes((result as { key: string }).key)).toString('utf8');
};

/**
 * The runner decides whether a restore's target exists (no: the safety backup is skipped and the restore creates
 * it; yes: a safety backup first) the way the server does: case folded where `lower_case_table_names` ≠ 0, names
 * compared whole (a newline in one), and a name it cannot place refused rather than guessed absent.
 */
describe.runIf(services().mariadb !== null)('restore targets exist as the server says they do', () => {
  describe('on a server that folds names (lower_case_table_names=1)', () => {
    let server: LocalMariaDb;
    let baseDir: string;
    const on = (database: string, username?: string): Connection => ({
      engine: 'mariadb',
      host: server.host,
      port: server.port,
      database,
      username: username ?? server.user,
      tls: { mode: 'preferred' },
    });

    beforeAll(async () => {
      baseDir = await mkdtemp(join(tmpdir(), 'keepsake-lctn-'));
      server = await startMariaDb(baseDir, { serverArgs: ['--lower-case-table-names=1'], bufferPoolMb: 32 });
      await server.sql(`
        CREATE DATABASE shop; CREATE TABLE shop.orders (id INT PRIMARY KEY, note VARCHAR(40)); INSERT INTO shop.orders VALUES (1, 'live order');
        CREATE DATABASE src; CREATE TABLE src.orders (id INT PRIMARY KEY, note VARCHAR(40)); INSERT INTO src.orders VALUES (1, 'from the backup');
        CREATE USER peek@'%' IDENTIFIED BY 'peek-pw'; GRANT ALL PRIVILEGES ON src.* TO peek@'%';`);
    }, 120_000);
    afterAll(async () => {
      await server?.stop();
      await rm(baseDir, { recursive: true, force: true });
    });

    it('backs up `shop` before a restore into `Shop`, which the server takes to be `shop`', async () => {
      expect((await server.sql('SELECT @@lower_case_table_names')).trim()).toBe('1');
      const safety = await runJob(
        backupJob('Shop', { sourceId: `lctn-safety-${PID}`, connection: on('Shop'), skipIfDatabaseMissing: true }),
        { env: jobEnv() },
      );
      expect(await dumpOf(safety)).toContain("(1,'live order')");
    });

    it('counts the tables of a test restore into a scratch database named in capitals', async () => {
      const backup = (await runJob(backupJob('src', { sourceId: `lctn-src-${PID}`, connection: on('src') }), {
        env: jobEnv(),
      })) as { key: string; sha256: string };
      const result = await runJob(
        restoreJob('Scratch_Lctn', {
          connection: on('Scratch_Lctn'),
          key: backup.key,
          expectedSha256: backup.sha256,
          scratch: { expectTables: 1 },
        }),
        { env: jobEnv() },
      );
      expect(result).toMatchObject({ ok: true, mode: 'restore', tables: 1 });
      expect(await databasesOn(server.sql)).not.toContain('scratch_lctn');
    });

    it('refuses, saying why, when the server will not say whether the target exists', async () => {
      const job = backupJob('shop', {
        sourceId: `lctn-hidden-${PID}`,
        connection: on('shop', 'peek'),
        skipIfDatabaseMissing: true,
        password: { from: 'env', name: 'PEEK_PW' },
      });
      const error = await expectRunnerError(runJob(job, { env: { ...jobEnv(), PEEK_PW: 'peek-pw' } }));
      expect(error.message).toMatch(
        /^cannot tell whether database "shop" exists \(it is not in the server's list, and using it failed: .*Access denied.*\): a restore does not overwrite/,
      );
      expect(await keysUnder(`lctn-hidden-${PID}/`)).toEqual([]);
    });
  });

  describe('on a server that compares names exactly (lower_case_table_names=0)', () => {
    const NEWLINE = `sec\nnl_${PID}`;
    const CASED = `sec_shop_${PID}`;
    const UNICODE = `sec_✓_é_${PID}`;
    const drop = () =>
      rootSql([NEWLINE, CASED, UNICODE].map((db) => exactly(`DROP DATABASE IF EXISTS ${ident(db)}`)).join('\n'));

    beforeAll(async () => {
      await drop();
      await rootSql(exactly(`CREATE DATABASE ${ident(NEWLINE)}`));
      await rootSql(exactly(`CREATE TABLE ${ident(NEWLINE)}.orders (id INT PRIMARY KEY, note VARCHAR(40))`));
      await rootSql(exactly(`INSERT INTO ${ident(NEWLINE)}.orders VALUES (1, 'behind a newline')`));
      await rootSql(exactly(`CREATE DATABASE ${ident(CASED)}`));
    });
    afterAll(drop);

    it('sees a database whose name holds a newline, and backs it up before a restore into it', async () => {
      const safety = await runJob(backupJob(NEWLINE, { sourceId: `sec-newline-${PID}`, skipIfDatabaseMissing: true }), {
        env: jobEnv(),
      });
      expect(await dumpOf(safety)).toContain("(1,'behind a newline')");
    });

    it('takes `SEC_SHOP` for another database than `sec_shop`, as the server does', async () => {
      const other = CASED.toUpperCase();
      const result = await runJob(backupJob(other, { sourceId: `sec-cased-${PID}`, skipIfDatabaseMissing: true }), {
        env: jobEnv(),
      });
      expect(result).toMatchObject({
        ok: true,
        mode: 'skipped',
        reason: `database "${other}" does not exist: nothing to back up`,
      });
    });

    it('restores into a database with a non-ASCII name, and into no other, when the environment sets no LANG', async () => {
      const backup = (await runJob(backupJob(CASED, { sourceId: `sec-unicode-${PID}` }), { env: jobEnv() })) as {
        key: string;
        sha256: string;
      };
      const before = new Set(await databasesOn(rootSql));
      // Fargate sets no LANG; the client tools then fall back to latin1 unless told otherwise.
      const lang = { LANG: process.env.LANG, LC_ALL: process.env.LC_ALL };
      delete process.env.LANG;
      delete process.env.LC_ALL;
      try {
        await runJob(
          restoreJob(UNICODE, { connection: connectionTo(UNICODE), key: backup.key, expectedSha256: backup.sha256 }),
          { env: jobEnv() },
        );
      } finally {
        Object.assign(process.env, Object.fromEntries(Object.entries(lang).filter(([, value]) => value !== undefined)));
      }
      expect((await databasesOn(rootSql)).filter((db) => !before.has(db))).toEqual([UNICODE]);
    });
  });
});
