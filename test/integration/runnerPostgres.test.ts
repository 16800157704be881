import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBackup } from '../../containers/backup/src/backup.ts';
import { runRestore } from '../../containers/backup/src/restore.ts';
import { runVerify } from '../../containers/backup/src/verify.ts';
import type { BackupResult } from '../../types/job.ts';
import {
  databaseFingerprint,
  hasPostgres,
  loadTrickyPostgres,
  recreateDatabase,
  schemaDump,
  type DatabaseFingerprint,
  type TestPostgres,
  startTestPostgres,
} from '../support/postgres.ts';
import { pgBackupJob, pgJobEnv, pgRestoreJob } from '../support/postgresJobs.ts';
import { expectRunnerError, getObjectBytes, keysUnder, putObjectBytes, sha256, verifyJob } from '../support/runner.ts';
import { gunzipSync, gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';

const execFileAsync = promisify(execFile);

const SOURCE = 'tricky "source"';
/** The fixture's tables (ordinary and partitioned, extensions' aside), as pg_dump's TOC lists them. */
let sourceTables: number;

/** Compared with owners and grants left out: a restore with --no-owner --no-privileges cannot keep them. */
const fingerprint = (server: TestPostgres, database: string): Promise<DatabaseFingerprint> =>
  databaseFingerprint(server, database, { ignoreOwnership: true });

describe.runIf(await hasPostgres())('the runner backs up and restores PostgreSQL', () => {
  let server: TestPostgres;
  let source: DatabaseFingerprint;
  let backup: BackupResult;

  beforeAll(async () => {
    server = await startTestPostgres();
    await loadTrickyPostgres(server, SOURCE);
    source = await fingerprint(server, SOURCE);
    sourceTables = Number(
      (
        await server.psql(
          `SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE c.relkind IN ('r', 'p') AND n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\\_%'`,
          SOURCE,
        )
      ).trim(),
    );
    backup = await runBackup(pgBackupJob(server, SOURCE), { env: pgJobEnv(server) });
  });
  afterAll(() => server?.stop());

  it('stores a gzipped pg_dump custom archive under a .dump.gz key, with the archive’s table count', async () => {
    expect(backup.key).toMatch(/^pg-source\/tricky%20%22source%22\/\d{4}-\d{2}-\d{2}_\d{2}-\d{2}-\d{2}\.dump\.gz$/);
    expect(backup.tables).toBe(sourceTables);
    expect(backup.serverVersion).toMatch(/^\d+\.\d+/);
    const bytes = await getObjectBytes(backup.key);
    expect(bytes.subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
    expect(gunzipSync(bytes).subarray(0, 5).toString('latin1')).toBe('PGDMP');
  });

  it('restores into a new database exactly: every row, sequence and object', async () => {
    const result = await runRestore(
      pgRestoreJob(server, 'restored new', { key: backup.key, expectedSha256: backup.sha256 }),
      { env: pgJobEnv(server) },
    );
    expect(result).toMatchObject({ ok: true, targetDatabase: 'restored new', sha256: backup.sha256 });
    expect(await schemaDump(server, 'restored new', { ignoreOwnership: true })).toBe(
      await schemaDump(server, SOURCE, { ignoreOwnership: true }),
    );
    expect(await fingerprint(server, 'restored new')).toEqual(source);
  });

  it('is restored the same by the stock one-liner gunzip -c | pg_restore', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'keepsake-pg-stock-'));
    const file = join(dir, 'backup.dump.gz');
    await writeFile(file, await getObjectBytes(backup.key));
    await recreateDatabase(server, 'stock copy');
    const pgRestore = join(server.binDir, 'pg_restore');
    await execFileAsync('sh', [
      '-c',
      `gunzip -c "$1" | "$2" --no-owner --no-privileges --exit-on-error ${server
        .superuserArgs('stock copy')
        .map((a) => `'${a}'`)
        .join(' ')}`,
      'sh',
      file,
      pgRestore,
    ]);
    expect(await fingerprint(server, 'stock copy')).toEqual(source);
  });

  it('restores over an existing database: the backup’s objects replace their namesakes, all or nothing', async () => {
    const target = 'restored twice';
    const job = pgRestoreJob(server, target, { key: backup.key, expectedSha256: backup.sha256 });
    await runRestore(job, { env: pgJobEnv(server) });
    await server.psql(`UPDATE public.blobs SET data = '\\x00' WHERE id = 1; DELETE FROM public.texts;`, target);
    await runRestore(job, { env: pgJobEnv(server) });
    expect(await fingerprint(server, target)).toEqual(source);
  });

  it('refuses to restore over a database that appeared after the safety step found none', async () => {
    await recreateDatabase(server, 'appeared');
    await server.psql('CREATE TABLE keep_me (id int); INSERT INTO keep_me VALUES (1);', 'appeared');
    const error = await expectRunnerError(
      runRestore(
        pgRestoreJob(server, 'appeared', { key: backup.key, expectedSha256: backup.sha256, targetExisted: false }),
        { env: pgJobEnv(server) },
      ),
    );
    expect(error.message).toMatch(/did not exist when the safety backup was to be taken, but exists now/);
    expect((await server.psql('SELECT count(*) FROM keep_me', 'appeared')).trim()).toBe('1');
  });

  it('names the failing statement when a restore fails, and leaves an existing target as it was', async () => {
    // A backup whose policy names a role the server no longer has: pg_restore fails on that statement.
    await recreateDatabase(server, 'policy source');
    await server.psql(`DO $$ BEGIN CREATE ROLE gone_role; EXCEPTION WHEN duplicate_object THEN NULL; END $$;`);
    await server.psql('CREATE TABLE t (id int); CREATE POLICY p ON t TO gone_role USING (true);', 'policy source');
    const failing = await runBackup(pgBackupJob(server, 'policy source', { sourceId: 'pg-failing' }), {
      env: pgJobEnv(server),
    });
    await server.psql('DROP POLICY p ON t;', 'policy source');
    await server.psql('DROP ROLE gone_role;');

    const target = 'kept as it was';
    await runRestore(pgRestoreJob(server, target, { key: backup.key, expectedSha256: backup.sha256 }), {
      env: pgJobEnv(server),
    });
    const before = await fingerprint(server, target);
    const error = await expectRunnerError(
      runRestore(pgRestoreJob(server, target, { key: failing.key, expectedSha256: failing.sha256 }), {
        env: pgJobEnv(server),
      }),
    );
    expect(error.message).toMatch(
      /^restore into "kept as it was" failed: pg_restore exited with code 1: error: .*role "gone_role" does not exist; the failing statement: CREATE POLICY p ON public\.t /,
    );
    expect(await fingerprint(server, target)).toEqual(before);
    expect(await server.psql(`SELECT datname FROM pg_database WHERE datname LIKE 'keepsake\\_%'`)).toBe('');
  });

  it('test-restores into a scratch database, counts its tables and drops it', async () => {
    const scratch = 'keepsake_verify_pg';
    const result = await runRestore(
      pgRestoreJob(server, scratch, {
        key: backup.key,
        expectedSha256: backup.sha256,
        scratch: { expectTables: backup.tables },
      }),
      { env: pgJobEnv(server) },
    );
    expect(result.tables).toBe(sourceTables);
    expect((await server.psql(`SELECT count(*) FROM pg_database WHERE datname = '${scratch}'`)).trim()).toBe('0');
  });

  it('verifies the archive by reading it through, and finds one cut short', async () => {
    const verdict = await runVerify(verifyJob(backup.key, backup.sha256), { env: pgJobEnv(server) });
    expect(verdict).toMatchObject({ ok: true, status: 'ok' });

    // Sound gzip around an archive missing its last data blocks: only reading the archive through shows it.
    const archive = gunzipSync(await getObjectBytes(backup.key));
    const cut = gzipSync(archive.subarray(0, Math.floor(archive.length * 0.8)));
    const key = 'pg-cut/tricky/cut.dump.gz';
    await putObjectBytes(key, cut);
    const cutVerdict = await runVerify(verifyJob(key, sha256(cut)), { env: pgJobEnv(server) });
    expect(cutVerdict).toMatchObject({ ok: false, status: 'corrupt' });
    expect(cutVerdict.reason).toMatch(/^the archive cannot be read through: pg_restore exited with code 1: /);
    const error = await expectRunnerError(
      runRestore(pgRestoreJob(server, 'never made', { key, expectedSha256: sha256(cut) }), { env: pgJobEnv(server) }),
    );
    expect(error.message).toMatch(/^refusing to restore .*the archive cannot be read through/);
    expect((await server.psql(`SELECT count(*) FROM pg_database WHERE datname = 'never made'`)).trim()).toBe('0');
  });

  it('backs up only the schemas a source names, matched exactly', async () => {
    await recreateDatabase(server, 'schemas');
    await server.psql(
      'CREATE SCHEMA "a*"; CREATE SCHEMA ab; CREATE TABLE "a*".t (id int); CREATE TABLE ab.t (id int);',
      'schemas',
    );
    const connection = (schemas: string[]) => ({ ...pgBackupJob(server, 'schemas').connection, schemas });
    const only = await runBackup(
      pgBackupJob(server, 'schemas', { sourceId: 'pg-schemas', connection: connection(['a*']) }),
      { env: pgJobEnv(server) },
    );
    expect(only.tables).toBe(1);
    await runRestore(pgRestoreJob(server, 'one schema', { key: only.key, expectedSha256: only.sha256 }), {
      env: pgJobEnv(server),
    });
    const tables = await server.psql(`SELECT schemaname FROM pg_tables WHERE tablename = 't'`, 'one schema');
    expect(tables.trim()).toBe('a*');
    // A schema that does not exist fails the backup (and leaves no object) rather than backing up less.
    const error = await expectRunnerError(
      runBackup(pgBackupJob(server, 'schemas', { sourceId: 'pg-no-schema', connection: connection(['a?']) }), {
        env: pgJobEnv(server),
      }),
    );
    expect(error.message).toMatch(/^pg_dump exited with code 1: .*no matching schemas were found for pattern/);
    expect(await keysUnder('pg-no-schema/')).toEqual([]);
  });
});
