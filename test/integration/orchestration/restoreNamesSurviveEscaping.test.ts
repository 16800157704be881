import { GetObjectCommand } from '@aws-sdk/client-s3';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getBackupRecord, type BackupRecord } from '../../../functions/shared/repositories/backups.ts';
import type { DataSource } from '../../../types/dataSource.ts';
import {
  runQueuedRestore,
  startLocalMachines,
  type LocalMachines,
  type MachineOutcome,
} from '../../support/localMachines.ts';
import { bucket } from '../../support/runner.ts';
import { mariadb, services, testS3Client } from '../../support/services.ts';
import { rootSql } from '../../support/sql.ts';

const PID = process.pid;
/** A source with a plain name, so that its backup does not depend on what is tested here. */
const SOURCE = `esc_src_${PID}`;
/** Target names the job's trip through `States.JsonToString` must keep exactly (aws-local-stepfunctions stripped backslashes). */
const TARGETS = {
  backslash: { name: `esc\\x_${PID}`, mangled: `escx_${PID}` },
  quote: { name: `esc"q_${PID}`, mangled: null },
  newline: { name: `esc\nnl_${PID}`, mangled: `escnnl_${PID}` },
  everything: { name: `esc \\" \n\t '${PID}`, mangled: null },
} as const;
/** A non-ASCII name: the runner's `mariadb` client must speak UTF-8 for it (see the test). */
const UNICODE_TARGET = `esc_✓_é_${PID}`;
/** A source whose database name needs escaping too: the Backup machine passes it through the same intrinsic. */
const HOSTILE_SOURCE = `esc src "q" \\\n${PID}`;

const quoted = (name: string) => `\`${name.replace(/`/g, '``')}\``;
const hex = (text: string) => Buffer.from(text, 'utf8').toString('hex');
/** Runs one statement given as text the `mariadb` client never parses (hex → PREPARE): names with \ " and newlines stay intact. */
const exec = (statement: string) =>
  rootSql(
    `SET @s = CONVERT(UNHEX('${hex(statement)}') USING utf8mb4); PREPARE s FROM @s; EXECUTE s; DEALLOCATE PREPARE s;`,
  );
/**
 * The databases on the server this file can make (every target and every mangled form starts with `esc`), read as
 * hex so that no client escaping can blur them; other test files create theirs on the same server meanwhile.
 */
const databases = async () =>
  (await rootSql('SELECT HEX(SCHEMA_NAME) FROM information_schema.SCHEMATA'))
    .split('\n')
    .filter(Boolean)
    .map((h) => Buffer.from(h, 'hex').toString('utf8'))
    .filter((name) => name.startsWith('esc'));
const rows = (database: string) =>
  exec(`SELECT id, COALESCE(note, 'NULL') FROM ${quoted(database)}.orders ORDER BY id`);

function expectSucceeded(outcome: MachineOutcome): void {
  expect(outcome, outcome.ok ? '' : `${outcome.error.name}: ${outcome.error.message}`).toMatchObject({ ok: true });
}

/**
 * Restores (and backups) through the synthesized machines in local mode, into databases whose names hold a
 * backslash, a double quote, a newline: the runner's job travels as `KEEPSAKE_JOB = States.JsonToString(…)`, and
 * the data must land in exactly the named database, with the restore record naming it exactly.
 */
describe.runIf(services().mariadb !== null)('database names that need escaping, through local mode', () => {
  let machines: LocalMachines;
  let source: DataSource;
  let backup: BackupRecord;
  let original: string;

  const restore = (id: string, targetDatabase: string) =>
    runQueuedRestore(machines, source, id, backup.id, targetDatabase);

  const dropAll = () =>
    Promise.all(
      [
        SOURCE,
        HOSTILE_SOURCE,
        UNICODE_TARGET,
        ...Object.values(TARGETS).flatMap((t) => [t.name, ...(t.mangled ? [t.mangled] : [])]),
      ].map((db) => exec(`DROP DATABASE IF EXISTS ${quoted(db)}`)),
    );

  beforeAll(async () => {
    machines = await startLocalMachines();
    await dropAll();
    for (const db of [SOURCE, HOSTILE_SOURCE]) {
      await exec(`CREATE DATABASE ${quoted(db)}`);
      await exec(`CREATE TABLE ${quoted(db)}.orders (id INT PRIMARY KEY, note VARCHAR(50))`);
      await exec(`INSERT INTO ${quoted(db)}.orders VALUES (1, 'first'), (2, 'back\\\\slash "quoted"'), (3, NULL)`);
    }
    original = await rows(SOURCE);
    source = await machines.createSource(`Shop "prod" \\ main's`, SOURCE, mariadb().password);
    expectSucceeded(await machines.run('Backup', { dataSourceId: source.id, trigger: 'schedule' }, 'esc-backup'));
    const taken = await getBackupRecord(machines.table, 'esc-backup');
    if (!taken?.s3Key) throw new Error('the backup did not succeed');
    backup = taken;
  }, 180_000);

  afterAll(dropAll);

  it.each(Object.entries(TARGETS))(
    'restores into the database with a %s in its name, and into no other',
    async (kind, target) => {
      const before = new Set(await databases());
      const { outcome, record } = await restore(`esc-${kind}`, target.name);
      expectSucceeded(outcome);
      expect(record.status).toBe('succeeded');
      expect(record.targetDatabase).toBe(target.name);
      const created = (await databases()).filter((db) => !before.has(db));
      expect(created).toEqual([target.name]);
      if (target.mangled) expect(await databases()).not.toContain(target.mangled);
      expect(await rows(target.name)).toBe(original);
    },
  );

  // Fargate's (and local mode's) environment has no LANG: a client not told utf8mb4 in its option file speaks latin1,
  // and `CREATE DATABASE`/`--database=` turned UTF-8 `✓` into `âœ“` while the restore was recorded as succeeded.
  it('restores into a database with a non-ASCII name, and into no other', async () => {
    const before = new Set(await databases());
    const { outcome, record } = await restore('esc-unicode', UNICODE_TARGET);
    expectSucceeded(outcome);
    expect(record.targetDatabase).toBe(UNICODE_TARGET);
    expect((await databases()).filter((db) => !before.has(db))).toEqual([UNICODE_TARGET]);
    expect(await rows(UNICODE_TARGET)).toBe(original);
  });

  // The runner reads the server's list of databases as hex: split on newlines, a name holding one never matched, the
  // safety backup was skipped as "the target did not exist", and the database was overwritten with no way back.
  it('takes a safety backup before overwriting an existing database with a newline in its name', async () => {
    const { name } = TARGETS.newline;
    await exec(`INSERT INTO ${quoted(name)}.orders VALUES (4, 'written after the first restore')`);
    const { outcome, record } = await restore('esc-newline-again', name);
    expectSucceeded(outcome);
    expect(record.safetyBackupKey, 'the runner must see that the target exists').toBeDefined();
    const safety = await testS3Client().send(new GetObjectCommand({ Bucket: bucket(), Key: record.safetyBackupKey }));
    expect(gunzipSync(Buffer.from(await safety.Body!.transformToByteArray())).toString('utf8')).toContain(
      "(4,'written after the first restore')",
    );
    expect(await rows(name)).toBe(original);
  });

  it('backs up a source whose database name holds quotes and a backslash, under that exact name', async () => {
    const hostile = await machines.createSource('Hostile', HOSTILE_SOURCE, mariadb().password);
    expectSucceeded(
      await machines.run('Backup', { dataSourceId: hostile.id, trigger: 'schedule' }, 'esc-hostile-backup'),
    );
    const taken = await getBackupRecord(machines.table, 'esc-hostile-backup');
    expect(taken?.status).toBe('succeeded');
    expect(taken?.s3Key?.startsWith(`${hostile.id}/${encodeURIComponent(HOSTILE_SOURCE)}/`)).toBe(true);
    const stored = await testS3Client().send(new GetObjectCommand({ Bucket: bucket(), Key: taken?.s3Key }));
    expect(gunzipSync(Buffer.from(await stored.Body!.transformToByteArray())).toString('utf8')).toContain(
      `(2,'back\\\\slash \\"quoted\\"')`,
    );
  });
});
