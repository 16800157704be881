import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  connectionConfig,
  databaseFingerprint,
  hasPostgres,
  ident,
  loadTrickyPostgres,
  recreateDatabase,
  schemaDump,
  sequenceValues,
  startTestPostgres,
  stockDumpAndRestore,
  tableFingerprints,
  type DatabaseFingerprint,
  type TestPostgres,
} from '../support/postgres.ts';

const execFileAsync = promisify(execFile);

const SOURCE = 'tricky "source"';
const STOCK = 'tricky stock-copy';

/** Tables whose rows the fixture puts there on purpose: a round trip that loses any of them must show. */
const EXPECTED_ROWS = {
  'public.blobs': 6,
  'public.single_bytes': 256,
  'public.texts': 10,
  'public.no_columns': 3,
  'public.events_2024_click': 61,
  'public.order_totals': 2,
  'public.tenant_rows': 3,
  '"Weird ""Schema"".x"."Mixed Case.Table"': 2,
};

/** A copy of `database` made by the server itself (`CREATE DATABASE … TEMPLATE`), for the tests to change. */
async function copyOf(server: TestPostgres, database: string, name: string): Promise<void> {
  await server.psql(`DROP DATABASE IF EXISTS ${ident(name)}`);
  await server.psql(`CREATE DATABASE ${ident(name)} TEMPLATE ${ident(database)}`);
}

/** The hostile fixture against a real server, and proof that the fingerprints the round-trip tests compare work. */
describe.runIf(await hasPostgres())('the PostgreSQL test server and the tricky fixture', () => {
  let server: TestPostgres;
  let source: DatabaseFingerprint;

  beforeAll(async () => {
    server = await startTestPostgres();
    await loadTrickyPostgres(server, SOURCE);
    source = await databaseFingerprint(server, SOURCE);
  });
  afterAll(() => server?.stop());

  it('loads the fixture with every kind of row it promises', () => {
    expect(Object.keys(source.tables).length).toBeGreaterThanOrEqual(30);
    for (const [table, rows] of Object.entries(EXPECTED_ROWS)) expect(source.tables[table]?.rows, table).toBe(rows);
    expect(source.tables['"Weird ""Schema"".x"."Lazy MV"']).toEqual({ rows: -1, hash: 'unpopulated' });
    expect(source.sequences).toMatchObject({
      'public.serials_big_seq': '9223372036854775000 called',
      'public.not_called': '77 not called',
      'public.countdown': '8 called',
    });
  });

  it('comes back identical through a stock pg_dump | psql', async () => {
    await recreateDatabase(server, STOCK);
    await stockDumpAndRestore(server, SOURCE, STOCK);
    // The texts first: a difference then shows as a readable diff rather than as two hashes.
    expect(await schemaDump(server, STOCK)).toBe(await schemaDump(server, SOURCE));
    expect(await databaseFingerprint(server, STOCK)).toEqual(source);
  });

  it('does not depend on the order rows are stored in', async () => {
    await copyOf(server, SOURCE, 'tricky reordered');
    await server.psql(
      `CREATE TEMP TABLE saved AS SELECT * FROM public.single_bytes;
       DELETE FROM public.single_bytes;
       INSERT INTO public.single_bytes SELECT * FROM saved ORDER BY byte_value DESC;`,
      'tricky reordered',
    );
    expect(await tableFingerprints(server, 'tricky reordered')).toEqual(source.tables);
  });

  it('tells one changed byte, one used sequence value and one changed comment apart', async () => {
    await copyOf(server, SOURCE, 'tricky changed');
    await server.psql(`UPDATE public.blobs SET data = set_byte(data, 200, 0) WHERE id = 1`, 'tricky changed');
    const tables = await tableFingerprints(server, 'tricky changed');
    const changed = Object.keys(tables).filter((t) => tables[t]?.hash !== source.tables[t]?.hash);
    expect(changed).toEqual(['public.blobs']);
    expect(tables['public.blobs']?.rows).toBe(source.tables['public.blobs']?.rows);

    await server.psql(`SELECT nextval('public.not_called')`, 'tricky changed');
    expect((await sequenceValues(server, 'tricky changed'))['public.not_called']).toBe('77 called');

    const before = await databaseFingerprint(server, 'tricky changed');
    await server.psql(`COMMENT ON TABLE public.orders IS 'changed'`, 'tricky changed');
    expect((await databaseFingerprint(server, 'tricky changed')).schema).not.toBe(before.schema);
  });

  it('lets the application user in over TCP only with TLS it can verify and its SCRAM password', async () => {
    const client = new pg.Client(connectionConfig(server, SOURCE));
    await client.connect();
    try {
      const { rows } = await client.query<{ ssl: boolean; user: string }>(
        'SELECT ssl, current_user AS user FROM pg_stat_ssl WHERE pid = pg_backend_pid()',
      );
      expect(rows).toEqual([{ ssl: true, user: server.user }]);
    } finally {
      await client.end();
    }
    const stored = await server.psql(`SELECT left(rolpassword, 14) FROM pg_authid WHERE rolname = '${server.user}'`);
    expect(stored.trim()).toBe('SCRAM-SHA-256$');

    const wrongPassword = new pg.Client({ ...connectionConfig(server, SOURCE), password: 'wrong' });
    await expect(wrongPassword.connect()).rejects.toThrow(/password authentication failed for user "keepsake"/);
    const otherCa = new pg.Client({ ...connectionConfig(server, SOURCE), ssl: { rejectUnauthorized: true } });
    await expect(otherCa.connect()).rejects.toThrow(/unable to verify the first certificate/);
  });

  it('gives stock clients the password through the private pgpass file, verify-full included', async () => {
    const { stdout } = await execFileAsync(
      join(server.binDir, 'psql'),
      [
        '--no-psqlrc',
        '--tuples-only',
        '--no-align',
        `host=localhost port=${server.port} user=${server.user} dbname=postgres sslmode=verify-full sslrootcert=${server.caFile}`,
        '-c',
        'SELECT current_user',
      ],
      { env: { ...process.env, PGPASSFILE: server.passFile } },
    );
    expect(stdout.trim()).toBe(server.user);
  });
});
