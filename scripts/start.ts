/**
 * `npm start`: all of Keepsake on this machine, no AWS account (see scripts/local/keepsake.ts). With no MySQL
 * given it starts a demo MariaDB and, when PostgreSQL is installed, a demo PostgreSQL, registers each as a data
 * source with a daily schedule and takes a first backup; then it serves until Ctrl-C. `--once` is the smoke test:
 * a backup and a restore of each demo database through the API, compared table by table, then exit (0 only if
 * every round trip held).
 *
 *   npm start
 *   npm start -- --once
 *   npm start -- --api-port 9000 --data-dir /var/tmp/keepsake
 *   KEEPSAKE_DB_PASSWORD=… npm start -- --mysql-host db.example --mysql-user me --mysql-database shop
 */
import './local/sdkNodeWarning.ts';
import { chmod, mkdir, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import * as z from 'zod';
import type { DataSource, Tls } from '../types/dataSource.ts';
import { DatabaseNameSchema, HostSchema, PortSchema, UsernameSchema } from '../types/dataSource.ts';
import type { Page } from '../types/api.ts';
import type { Schedule } from '../types/schedule.ts';
import type { Backup } from '../types/backup.ts';
import { RoleSchema } from '../types/roles.ts';
import { describeZodError } from '../types/zodMessages.ts';
import { apiClient, waitForBackup, waitForRestore, type ApiClient } from '../types/apiClient.ts';
import { startLocalKeepsake, type LocalKeepsake } from './local/keepsake.ts';
import { findMariaDbServer, mariadbClientCommand, startMariaDb, type LocalMariaDb } from './local/mariadb.ts';
import { findPostgresBinDir, psqlClientCommand, startPostgres, type LocalPostgres } from './local/postgres.ts';
import { progressLine, startSummary, type DemoDatabase } from './local/startSummary.ts';

const DEMO_DATABASE = 'keepsake_demo';
const DEMO_SOURCE = 'demo (local MariaDB)';
const DEMO_PG_SOURCE = 'demo PostgreSQL (local)';

const FlagsSchema = z
  .object({
    'api-port': z.coerce
      .number()
      .pipe(z.number().int().min(0).max(65535, 'api-port must be at most 65535'))
      .default(8780),
    'data-dir': z.string().min(1).default('.keepsake/local'),
    once: z.boolean().default(false),
    'trash-grace-days': z.coerce.number().pipe(z.number().int().min(0).max(365)).optional(),
    'mysql-host': HostSchema.optional(),
    'mysql-port': z.coerce.number().pipe(PortSchema).default(3306),
    'mysql-user': UsernameSchema.default('root'),
    'mysql-database': DatabaseNameSchema.optional(),
    role: RoleSchema.default('admin'),
  })
  .refine((f) => (f['mysql-host'] === undefined) === (f['mysql-database'] === undefined), {
    message: 'give --mysql-host and --mysql-database together (or neither, for the demo MariaDB)',
    path: ['mysql-host'],
  })
  .refine((f) => !f.once || f['mysql-host'] === undefined, {
    message: '--once runs on the demo MariaDB only',
    path: ['once'],
  });

const USAGE = `usage: npm start -- [--api-port 8780] [--data-dir .keepsake/local] [--once] [--trash-grace-days N] [--role admin|operator|viewer]
                    [--mysql-host H --mysql-database D [--mysql-port 3306] [--mysql-user root]]   (password in KEEPSAKE_DB_PASSWORD)`;

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

/**
 * The PostgreSQL demo: a schema with quoted-name trouble left out (the runner's tests cover that), made by the
 * application user so that its restores (without owners) look the same.
 */
const DEMO_PG_SQL = `
SET ROLE keepsake;
CREATE SCHEMA IF NOT EXISTS shop;
CREATE TABLE IF NOT EXISTS shop.customers (id int PRIMARY KEY, name text NOT NULL, email text, created timestamptz NOT NULL);
CREATE TABLE IF NOT EXISTS shop.orders (id int PRIMARY KEY, customer_id int NOT NULL REFERENCES shop.customers,
  total numeric(10,2) NOT NULL, tags text[], note jsonb);
INSERT INTO shop.customers SELECT g, 'Customer ' || g || CASE WHEN g % 7 = 0 THEN ' 🎁' ELSE '' END,
  'c' || g || '@example.com', '2026-01-01'::timestamptz + g * interval '1 minute' FROM generate_series(1, 2000) g
  ON CONFLICT DO NOTHING;
INSERT INTO shop.orders SELECT g, 1 + g % 2000, round((g * 1.37)::numeric % 500, 2),
  CASE WHEN g % 3 = 0 THEN NULL ELSE ARRAY['gift', NULL] END, jsonb_build_object('wrap', g % 2 = 0)
  FROM generate_series(1, 10000) g ON CONFLICT DO NOTHING;
CREATE OR REPLACE VIEW shop.order_totals AS SELECT customer_id, sum(total) AS spent FROM shop.orders GROUP BY customer_id;
`;

interface SourceSpec {
  readonly name: string;
  readonly connection: {
    engine: 'mysql' | 'mariadb' | 'postgresql';
    host: string;
    port: number;
    database: string;
    username: string;
    tls?: Tls;
  };
  readonly password: string;
}

/** The data source named `spec.name`, created on first use and brought up to date (the demo's port moves). */
async function ensureSource(api: ApiClient, spec: SourceSpec): Promise<DataSource> {
  const sources = await api.request<Page<DataSource>>('GET', '/v1/data-sources?limit=100');
  const existing = sources.items.find((s) => s.name === spec.name);
  if (!existing)
    return api.request<DataSource>('POST', '/v1/data-sources', {
      name: spec.name,
      ...spec.connection,
      password: spec.password,
    });
  const { host, port, database, username, tls = existing.tls } = spec.connection;
  if (
    existing.host === host &&
    existing.port === port &&
    existing.database === database &&
    existing.username === username &&
    existing.tls.mode === tls.mode
  )
    return existing;
  return api.request<DataSource>('PATCH', `/v1/data-sources/${existing.id}`, {
    host,
    port,
    database,
    username,
    tls,
    password: spec.password,
  });
}

async function ensureSchedule(api: ApiClient, source: DataSource): Promise<Schedule> {
  const schedules = await api.request<Page<Schedule>>('GET', `/v1/data-sources/${source.id}/schedules?limit=100`);
  const [first] = schedules.items;
  if (first) return first;
  const timeZone = Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  return api.request<Schedule>('POST', `/v1/data-sources/${source.id}/schedules`, {
    name: 'nightly',
    cron: '0 2 * * *',
    timeZone,
  });
}

async function backUp(api: ApiClient, source: DataSource): Promise<Backup> {
  const { backupId } = await api.request<{ backupId: string }>('POST', `/v1/data-sources/${source.id}/backups`, {
    trigger: 'manual',
  });
  const backup = await waitForBackup(api, backupId);
  if (backup.status !== 'succeeded')
    throw new Error(`backup ${backup.id} ${backup.status}: ${backup.error ?? 'no reason recorded'}`);
  return backup;
}

const describeBackup = (b: Backup) =>
  `backup ${b.id}: ${b.tables ?? '?'} tables, ${b.uncompressedBytes ?? '?'} B uncompressed → ${b.compressedBytes ?? '?'} B, sha256 ${b.sha256 ?? '?'}, ${b.durationMs ?? '?'} ms`;

/** A demo server as the round trip needs it: each table's checksum in a database, and dropping one. */
interface DemoServer {
  readonly tables: readonly string[];
  checksums(database: string): Promise<string[]>;
  drop(database: string): Promise<void>;
}

const mariaDbDemo = (demo: LocalMariaDb): DemoServer => {
  const tables = ['customers', 'orders'];
  return {
    tables,
    checksums: async (db) =>
      (await demo.sql(`CHECKSUM TABLE ${tables.map((t) => `${db}.${t}`).join(', ')}`))
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split('\t')[1] ?? ''),
    drop: async (db) => void (await demo.sql(`DROP DATABASE IF EXISTS ${db}`)),
  };
};

/** Each table's rows as a count and the hash of their sorted row hashes (independent of their order on disk). */
const postgresDemo = (demo: LocalPostgres): DemoServer => {
  const tables = ['shop.customers', 'shop.orders'];
  return {
    tables,
    checksums: async (db) =>
      (
        await demo.psql(
          tables
            .map(
              (t) =>
                `SELECT count(*) || ' ' || md5(coalesce(string_agg(md5(r::text), '' ORDER BY md5(r::text)), '')) FROM ${t} r;`,
            )
            .join('\n'),
          db,
        )
      )
        .split('\n')
        .filter(Boolean),
    drop: async (db) => void (await demo.psql(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`)),
  };
};

/** The demo backup restored through the API into a new database, then every table compared with its checksum. */
async function roundTrip(api: ApiClient, source: DataSource, demo: DemoServer): Promise<void> {
  const backup = await backUp(api, source);
  console.log(`✔ ${source.engine} ${describeBackup(backup)}`);
  const target = `${DEMO_DATABASE}_restored`;
  await demo.drop(target);
  const { restoreId } = await api.request<{ restoreId: string }>('POST', '/v1/restores', {
    backupId: backup.id,
    targetSourceId: source.id,
    targetDatabase: target,
    confirmDatabase: target,
  });
  const restore = await waitForRestore(api, restoreId);
  if (restore.status !== 'succeeded')
    throw new Error(`restore ${restore.id} ${restore.status}: ${restore.error ?? 'no reason recorded'}`);
  console.log(`✔ ${source.engine} restore ${restore.id} into ${target}`);
  const [before, after] = await Promise.all([demo.checksums(DEMO_DATABASE), demo.checksums(target)]);
  if (before.length !== demo.tables.length || JSON.stringify(before) !== JSON.stringify(after))
    throw new Error(`restored tables differ: ${JSON.stringify(before)} vs ${JSON.stringify(after)}`);
  console.log(`✔ ${source.engine}: ${demo.tables.length} tables identical after the round trip (${before.join(', ')})`);
}

/** The demo MariaDB with its database loaded; stopped again if loading fails. */
async function startDemoMariaDb(
  baseDir: string,
  progress: (part: string, detail: string) => void,
): Promise<LocalMariaDb> {
  const demo = await startMariaDb(baseDir);
  try {
    await demo.sql(DEMO_SQL);
  } catch (error) {
    await demo.stop();
    throw error;
  }
  progress('MariaDB (demo)', `${demo.host}:${demo.port}   database ${DEMO_DATABASE}`);
  return demo;
}

/**
 * The demo PostgreSQL (its data dir under local mode's) with its database loaded; stopped again if loading fails.
 * As root the server runs as the postgres OS user, which must pass through local mode's data dir (a private
 * temporary one is 0700): it gets search permission, never read.
 */
async function startDemoPostgres(
  dataDir: string,
  progress: (part: string, detail: string) => void,
): Promise<LocalPostgres> {
  if (process.getuid?.() === 0) {
    await mkdir(dataDir, { recursive: true });
    await chmod(dataDir, (await stat(dataDir)).mode | 0o001);
  }
  const demo = await startPostgres(resolve(dataDir, 'postgres'));
  try {
    await demo.psql(
      `SELECT 'CREATE DATABASE ${DEMO_DATABASE} OWNER ${demo.user}'
        WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '${DEMO_DATABASE}') \\gexec`,
    );
    await demo.psql(DEMO_PG_SQL, DEMO_DATABASE);
  } catch (error) {
    await demo.stop();
    throw error;
  }
  progress('PostgreSQL (demo)', `localhost:${demo.port}   database ${DEMO_DATABASE}`);
  return demo;
}

async function main(): Promise<number> {
  let values: Record<string, unknown>;
  try {
    values = parseArgs({
      options: {
        'api-port': { type: 'string' },
        'data-dir': { type: 'string' },
        once: { type: 'boolean' },
        'trash-grace-days': { type: 'string' },
        'mysql-host': { type: 'string' },
        'mysql-port': { type: 'string' },
        'mysql-user': { type: 'string' },
        'mysql-database': { type: 'string' },
        role: { type: 'string' },
      },
    }).values;
  } catch (error) {
    console.error(`keepsake: ${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  const parsed = FlagsSchema.safeParse(values);
  if (!parsed.success) {
    console.error(`keepsake: ${describeZodError(parsed.error)}\n${USAGE}`);
    return 2;
  }
  const flags = parsed.data;
  const external = flags['mysql-host'] !== undefined && flags['mysql-database'] !== undefined;
  if (external && !process.env.KEEPSAKE_DB_PASSWORD) {
    console.error('keepsake: set KEEPSAKE_DB_PASSWORD to the password of --mysql-user');
    return 2;
  }
  if (!external && !(await findMariaDbServer())) {
    console.error(
      'keepsake: no MariaDB server for the demo: install it (`sudo apt-get install mariadb-server`) or point at a MySQL with --mysql-host and --mysql-database',
    );
    return 2;
  }

  // The PostgreSQL demo joins the MariaDB one where PostgreSQL is installed (`apt-get install postgresql`).
  const withPostgres = !external && (await findPostgresBinDir()) !== undefined;
  const dataDir = resolve(flags['data-dir']);
  const started = Date.now();
  const progress = (part: string, detail: string) => console.log(progressLine(part, detail, Date.now() - started));
  console.log(`Starting Keepsake local mode (data in ${dataDir})…`);
  // The demo server starts beside the AWS stand-ins: neither needs the other until the source is registered.
  const [local, demoStart, pgStart] = await Promise.allSettled([
    startLocalKeepsake({
      dataDir,
      apiPort: flags['api-port'],
      trashGraceDays: flags['trash-grace-days'],
      log: (line) => console.log(`• ${line}`),
      onReady: progress,
    }),
    external ? Promise.resolve(undefined) : startDemoMariaDb(resolve(dataDir, 'mariadb'), progress),
    withPostgres ? startDemoPostgres(dataDir, progress) : Promise.resolve(undefined),
  ]);
  const keepsake: LocalKeepsake | undefined = local.status === 'fulfilled' ? local.value : undefined;
  const demo: LocalMariaDb | undefined = demoStart.status === 'fulfilled' ? demoStart.value : undefined;
  const pgDemo: LocalPostgres | undefined = pgStart.status === 'fulfilled' ? pgStart.value : undefined;
  const stop = async () => {
    await keepsake?.stop();
    await Promise.all([demo?.stop(), pgDemo?.stop()]);
  };
  try {
    if (local.status === 'rejected') throw local.reason;
    if (demoStart.status === 'rejected') throw demoStart.reason;
    // Without its PostgreSQL demo local mode still serves (and says why); --once, which must round-trip both, fails.
    if (pgStart.status === 'rejected' && flags.once) throw pgStart.reason;
    if (pgStart.status === 'rejected')
      console.log(`✘ PostgreSQL (demo) did not start, serving without it: ${(pgStart.reason as Error).message}`);
    else if (!external && !pgDemo)
      console.log('• PostgreSQL is not installed (apt-get install postgresql): no PostgreSQL demo this time');
    if (!keepsake) throw new Error('local mode did not start');
    const api = apiClient(keepsake.apiUrl);
    if (keepsake.recovered > 0)
      console.log(`• ${keepsake.recovered} backup(s)/restore(s) cut off by the last stop are now recorded as failed`);
    // The demo server runs without certificates on loopback; new sources otherwise default to TLS `required`.
    const spec: SourceSpec = demo
      ? {
          name: DEMO_SOURCE,
          connection: {
            engine: 'mariadb',
            host: demo.host,
            port: demo.port,
            database: DEMO_DATABASE,
            username: demo.user,
            tls: { mode: 'disabled' },
          },
          password: demo.password,
        }
      : {
          name: `${flags['mysql-host']}/${flags['mysql-database']}`,
          connection: {
            engine: 'mysql',
            host: flags['mysql-host'] ?? '',
            port: flags['mysql-port'],
            database: flags['mysql-database'] ?? '',
            username: flags['mysql-user'],
          },
          password: process.env.KEEPSAKE_DB_PASSWORD ?? '',
        };

    // The PostgreSQL demo is reached by the name on its certificate, verified against its own CA (sslmode verify-full).
    const pgSpec: SourceSpec | undefined = pgDemo && {
      name: DEMO_PG_SOURCE,
      connection: {
        engine: 'postgresql',
        host: 'localhost',
        port: pgDemo.port,
        database: DEMO_DATABASE,
        username: pgDemo.user,
        tls: { mode: 'verify-identity', caPem: pgDemo.caCert },
      },
      password: pgDemo.password,
    };
    const sources: { source: DataSource; server?: DemoServer; summary?: DemoDatabase }[] = [];
    for (const [sourceSpec, server, summary] of [
      [
        spec,
        demo && mariaDbDemo(demo),
        demo && {
          engine: 'MariaDB',
          host: demo.host,
          port: demo.port,
          database: DEMO_DATABASE,
          user: demo.user,
          password: demo.password,
          clientCommand: mariadbClientCommand(demo, DEMO_DATABASE),
        },
      ],
      [
        pgSpec,
        pgDemo && postgresDemo(pgDemo),
        pgDemo && {
          engine: 'PostgreSQL',
          host: 'localhost',
          port: pgDemo.port,
          database: DEMO_DATABASE,
          user: pgDemo.user,
          password: pgDemo.password,
          clientCommand: psqlClientCommand(pgDemo, DEMO_DATABASE),
        },
      ],
    ] as const) {
      if (!sourceSpec) continue;
      const source = await ensureSource(api, sourceSpec);
      progress('Data source', `"${source.name}" (${source.engine} ${source.host}:${source.port}/${source.database})`);
      sources.push({ source, ...(server && { server }), ...(summary && { summary }) });
    }
    if (flags.once) {
      if (!demo) throw new Error('--once needs the demo MariaDB');
      for (const { source, server } of sources) if (server) await roundTrip(api, source, server);
      console.log('\nRound trip OK.');
      return 0;
    }
    for (const { source } of sources) {
      const schedule = await ensureSchedule(api, source);
      progress('Schedule', `"${schedule.cron}" in ${schedule.timeZone}, next ${schedule.nextRuns[0] ?? 'never'}`);
      const history = await api.request<Page<Backup>>(
        'GET',
        `/v1/data-sources/${source.id}/backups?limit=1&status=succeeded`,
      );
      const previous = history.items[0];
      const latest = previous ?? (await backUp(api, source));
      progress(previous ? 'Last backup' : 'First backup', `${source.engine} ${describeBackup(latest)}`);
    }
    keepsake.actAs(flags.role);
    const demos = sources.flatMap(({ summary }) => (summary ? [summary] : []));
    console.log(`\n${startSummary({ ...keepsake, dataDir, role: flags.role, demos })}`);
    await new Promise<void>((done) => {
      process.once('SIGINT', done);
      process.once('SIGTERM', done);
    });
    console.log('\nStopping…');
    return 0;
  } catch (error) {
    console.error(`✘ ${(error as Error).message}`);
    return 1;
  } finally {
    await stop();
  }
}

process.exitCode = await main();
