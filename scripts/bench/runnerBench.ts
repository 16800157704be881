/**
 * `npm run bench`: the backup runner against the stock pipelines it replaces, in one run on this machine.
 * Generates a sysbench database of each requested size in a throwaway MariaDB, then prints wall time, MB/s of
 * SQL, CPU% and peak RSS for each pipeline, and the ratios the runner is held to. Figures, not pass/fail tests.
 *
 *   npm run bench -- --size-mb 250,1000 --runs 3
 */
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { createWriteStream } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { parseArgs } from 'node:util';
import * as z from 'zod';
import type { BackupResult, RunnerJobInput } from '../../types/job.ts';
import { LogLineSchema } from '../../types/jobLogs.ts';
import { readTaggedChecksum } from '../../containers/backup/src/s3Store.ts';
import { describeZodError } from '../../types/zodMessages.ts';
import { startMariaDb, type LocalMariaDb } from '../local/mariadb.ts';
import { S3RVER_CREDENTIALS, localS3Client, startS3rver } from '../local/s3rver.ts';
import { formatRow, measure, measureWithServer, medianOf, medianPair, type Measurement, type Row } from './measure.ts';

const FlagsSchema = z.object({
  sizeMb: z
    .string()
    .regex(/^\d+(,\d+)*$/, '--size-mb takes sizes in MB separated by commas, e.g. 250,1000')
    .transform((s) => s.split(',').map(Number))
    .refine((sizes) => sizes.every((n) => n >= 10 && n <= 20_000), '--size-mb sizes must be between 10 and 20000'),
  runs: z.coerce.number().int('--runs must be a whole number').min(1).max(9),
  skipRestore: z.boolean(),
});

const BYTES_PER_SYSBENCH_ROW = 199; // measured: 8 × 150,000 rows dump to 239 MB
const TABLES = 8;
const ROOT = resolve('.keepsake/bench');
const RUNNER = resolve('containers/backup/dist/runner.mjs');

function ratio(label: string, value: number, target: string, ok: boolean): string {
  return `  ${label.padEnd(58)} ${value.toFixed(2).padStart(6)}   target ${target.padEnd(7)} ${ok ? 'met' : 'MISSED'}`;
}

async function prepareDatabase(db: LocalMariaDb, name: string, sizeMb: number): Promise<void> {
  const existing = await db.sql(`SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA='${name}'`);
  if (Number(existing.trim()) === TABLES) return;
  const tableSize = Math.round((sizeMb * 1e6) / TABLES / BYTES_PER_SYSBENCH_ROW);
  console.log(`generating ${name}: sysbench ${TABLES} tables × ${tableSize} rows (~${sizeMb} MB of SQL)…`);
  await db.sql(`DROP DATABASE IF EXISTS \`${name}\`; CREATE DATABASE \`${name}\``);
  await measure(
    `sysbench oltp_read_write --db-driver=mysql --mysql-socket=${db.socket} --mysql-user=root --mysql-db=${name} --tables=${TABLES} --table-size=${tableSize} --threads=2 prepare > /dev/null`,
  );
}

/** Waits (up to a minute) until InnoDB has written its dirty pages, so the next restore starts on a quiet server. */
async function quiesce(db: LocalMariaDb): Promise<void> {
  const usual = (await db.sql('SELECT @@GLOBAL.innodb_max_dirty_pages_pct')).trim();
  await db.sql('SET GLOBAL innodb_max_dirty_pages_pct = 0');
  try {
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      const dirty = Number(
        (
          await db.sql(
            "SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = 'INNODB_BUFFER_POOL_PAGES_DIRTY'",
          )
        ).trim(),
      );
      if (dirty < 100) return;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  } finally {
    // The measured restore runs with the server's usual flushing.
    await db.sql(`SET GLOBAL innodb_max_dirty_pages_pct = ${Number(usual)}`);
  }
}

/**
 * Seconds from the runner's `completing` progress line (every byte handed to the upload) to its `done` line: the
 * object store assembling the object and the checksum tags. s3rver concatenates every part on this machine's cores.
 */
async function completingSeconds(logFile: string): Promise<number> {
  // Only the JSON lines: Node and the SDK print their warnings to stderr too.
  const lines = (await readFile(logFile, 'utf8'))
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => LogLineSchema.parse(JSON.parse(l)));
  const from = lines.find((l) => l.event === 'progress' && l.phase === 'completing');
  const to = lines.find((l) => l.event === 'done');
  if (!from || !to) throw new Error(`runner log ${logFile} has no completing/done lines`);
  return (Date.parse(to.time) - Date.parse(from.time)) / 1000;
}

/** Writes the last run's object to disk before the next run starts, so no run pays for another's writeback. */
async function flushWrites(): Promise<void> {
  await measure('sync');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      'size-mb': { type: 'string', default: '250,1000' },
      runs: { type: 'string', default: '3' },
      'skip-restore': { type: 'boolean', default: false },
    },
  });
  const parsed = FlagsSchema.safeParse({
    sizeMb: values['size-mb'],
    runs: values.runs,
    skipRestore: values['skip-restore'],
  });
  if (!parsed.success) {
    console.error(`bench: ${describeZodError(parsed.error)}`);
    process.exit(2);
  }
  const flags = parsed.data;
  await mkdir(ROOT, { recursive: true });
  const db = await startMariaDb(join(ROOT, 'mariadb'), { bufferPoolMb: 3072 });
  const s3 = await startS3rver(join(ROOT, 's3'), 'bench');
  if (s3.pid === undefined) throw new Error('s3rver has no process id');
  const s3Pid = s3.pid;
  const work = join(ROOT, 'work');
  await rm(work, { recursive: true, force: true });
  await mkdir(work, { recursive: true });
  // Stock tools connect exactly as the runner does: TCP, the application user, an option file.
  const optionFile = join(work, 'client.cnf');
  await writeFile(
    optionFile,
    `[client]\nhost=127.0.0.1\nport=${db.port}\nuser=${db.user}\npassword="${db.password.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"\n`,
    { mode: 0o600 },
  );
  const client = `--defaults-file=${optionFile}`;
  // The runner where coreutils' stdbuf does not work: one that fails comes first on PATH, and the runner's check
  // falls back to mysqldump alone (mysqlTools.ts), as it would in an image whose stdbuf lacks its preload library.
  const brokenStdbufDir = join(work, 'broken-stdbuf');
  await mkdir(brokenStdbufDir);
  await writeFile(join(brokenStdbufDir, 'stdbuf'), '#!/bin/sh\nexit 125\n', { mode: 0o755 });
  const env = {
    ...process.env,
    KEEPSAKE_DB_PASSWORD: db.password,
    AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
    AWS_REGION: 'us-east-1',
  };
  const withoutStdbufEnv = { ...env, PATH: `${brokenStdbufDir}:${process.env.PATH ?? ''}` };
  const s3Location = { bucket: 'bench', endpoint: s3.endpoint, region: 'us-east-1', forcePathStyle: true };
  const connection = (database: string) => ({
    engine: 'mariadb' as const,
    host: '127.0.0.1',
    port: db.port,
    database,
    username: db.user,
  });
  const runnerRss: number[] = [];

  try {
    for (const sizeMb of flags.sizeMb) {
      const database = `bench_${sizeMb}`;
      await prepareDatabase(db, database, sizeMb);
      const dump = `mariadb-dump ${client} --single-transaction --quick --routines --triggers --events --hex-blob --no-tablespaces --default-character-set=utf8mb4 ${database}`;
      const sqlBytes = Number((await measure(`${dump} | wc -c`)).stdout.trim());
      console.log(
        `\n== ${database}: ${(sqlBytes / 1e6).toFixed(0)} MB of SQL, median of ${flags.runs} run(s), ${process.env.UV_THREADPOOL_SIZE ?? 4} libuv threads ==`,
      );
      const rows: Row[] = [];
      const add = (row: Row): Row => (rows.push(row), console.log(formatRow(row, 38)), row);

      const raw = add({
        name: 'mysqldump > /dev/null',
        m: await medianOf(flags.runs, () => measure(`${dump} > /dev/null`)),
        sqlBytes,
      });
      const gzipRun = await medianOf(flags.runs, () => measure(`${dump} | gzip | wc -c`));
      const gzip = add({
        name: 'mysqldump | gzip (-6)',
        m: gzipRun,
        sqlBytes,
        outBytes: Number(gzipRun.stdout.trim()),
      });
      const jobFile = join(work, 'backup.json');
      // One key per contender, overwritten by each run, so the store does not grow by an object per run.
      const backupJob: RunnerJobInput = {
        mode: 'backup',
        sourceId: 'bench',
        connection: connection(database),
        password: { from: 'env' },
        s3: s3Location,
        key: `bench/${database}/default.sql.gz`,
      };
      await writeFile(jobFile, JSON.stringify(backupJob));
      // The runner is held to pigz's speed: the two alternate, so neither meets a warmer or busier machine.
      const [pigzRun, runnerRun] = await medianPair(
        flags.runs,
        () => measure(`${dump} | pigz -1 -p2 | wc -c`),
        async () => {
          const log = join(work, 'runner.log');
          const m = await measureWithServer(`node ${RUNNER} ${jobFile} 2>${log}`, env, s3Pid);
          return { ...m, completingSeconds: await completingSeconds(log) };
        },
        flushWrites,
      );
      const pigz = add({
        name: 'mysqldump | pigz -1 -p2',
        m: pigzRun,
        sqlBytes,
        outBytes: Number(pigzRun.stdout.trim()),
      });
      const result = JSON.parse(runnerRun.stdout.trim().split('\n').pop() ?? '{}') as BackupResult;
      if (!result.ok) throw new Error(`runner failed: ${runnerRun.stdout}`);
      const runner = add({
        name: 'keepsake runner → s3rver (defaults)',
        m: runnerRun,
        sqlBytes,
        outBytes: result.compressedBytes,
      });
      runnerRss.push(runner.m.peakRssMb);
      // The object store runs on the same cores as the backup here (in AWS it is S3's): what it took is shown apart.
      const cpuSeconds = (m: Measurement) => (m.cpuPercent / 100) * m.wallSeconds;
      console.log(
        `  CPU seconds: pigz pipeline ${cpuSeconds(pigzRun).toFixed(2)}; runner pipeline ${cpuSeconds(runnerRun).toFixed(2)} + s3rver ${runnerRun.serverCpuSeconds.toFixed(2)} (same cores)`,
      );
      console.log(
        `  runner wall after its last byte was handed to the upload (s3rver completing the object, tags): ${runnerRun.completingSeconds.toFixed(2)} s`,
      );

      console.log('ratios (higher is better for speed):');
      const vsGzip = gzip.m.wallSeconds / runner.m.wallSeconds;
      const vsPigz = pigz.m.wallSeconds / runner.m.wallSeconds;
      const sizeVsGzip = (runner.outBytes ?? 0) / (gzip.outBytes ?? 1);
      console.log(ratio('runner speed-up over mysqldump | gzip', vsGzip, '>= 4', vsGzip >= 4));
      console.log(ratio('runner speed vs mysqldump | pigz -1 -p2', vsPigz, '>= 0.9', vsPigz >= 0.9));
      console.log(ratio('runner output size vs gzip -6', sizeVsGzip, '<= 1.1', sizeVsGzip <= 1.1));
      const streamingVsPigz = pigz.m.wallSeconds / (runner.m.wallSeconds - runnerRun.completingSeconds);
      console.log(ratio('runner speed vs pigz, up to its last byte uploaded', streamingVsPigz, 'info', true));
      console.log(
        ratio(
          'runner wall vs raw mysqldump (the single-stream floor)',
          runner.m.wallSeconds / raw.m.wallSeconds,
          'info',
          true,
        ),
      );
      console.log(ratio('runner peak RSS in MB', runner.m.peakRssMb, '<= 150', runner.m.peakRssMb <= 150));

      // What the default compression level (2) is chosen by: level 1, alternated with the default in this run.
      const level1File = join(work, 'backup-level1.json');
      await writeFile(
        level1File,
        JSON.stringify({
          ...backupJob,
          compressionLevel: 1,
          key: `bench/${database}/level1.sql.gz`,
        } satisfies RunnerJobInput),
      );
      const outBytesOf = (m: Measurement) =>
        (JSON.parse(m.stdout.trim().split('\n').pop() ?? '{}') as BackupResult).compressedBytes;
      const [defaultRun, level1Run] = await medianPair(
        flags.runs,
        () => measure(`node ${RUNNER} ${jobFile} 2>/dev/null`, env),
        () => measure(`node ${RUNNER} ${level1File} 2>/dev/null`, env),
        flushWrites,
      );
      const byDefault = add({
        name: 'keepsake runner, level 2 (default)',
        m: defaultRun,
        sqlBytes,
        outBytes: outBytesOf(defaultRun),
      });
      const level1 = add({
        name: 'keepsake runner, compressionLevel 1',
        m: level1Run,
        sqlBytes,
        outBytes: outBytesOf(level1Run),
      });
      console.log(
        ratio('default (level 2) speed vs level 1', level1.m.wallSeconds / byDefault.m.wallSeconds, 'info', true),
      );
      console.log(
        ratio(
          'default (level 2) output size vs level 1',
          (byDefault.outBytes ?? 0) / (level1.outBytes ?? 1),
          'info',
          true,
        ),
      );

      // What running mysqldump under stdbuf's 1 MiB output buffer buys, alternated in this run.
      const [stdbufRun, noStdbufRun] = await medianPair(
        flags.runs,
        () => measure(`node ${RUNNER} ${jobFile} 2>/dev/null`, env),
        () => measure(`node ${RUNNER} ${jobFile} 2>/dev/null`, withoutStdbufEnv),
        flushWrites,
      );
      add({ name: 'keepsake runner, dump under stdbuf', m: stdbufRun, sqlBytes, outBytes: outBytesOf(stdbufRun) });
      add({ name: 'keepsake runner, stdbuf not working', m: noStdbufRun, sqlBytes, outBytes: outBytesOf(noStdbufRun) });
      console.log(
        `  CPU seconds: runner pipeline with stdbuf ${cpuSeconds(stdbufRun).toFixed(2)}, without ${cpuSeconds(noStdbufRun).toFixed(2)}`,
      );
      console.log(ratio('stdbuf speed vs without it', noStdbufRun.wallSeconds / stdbufRun.wallSeconds, 'info', true));

      if (flags.skipRestore) continue;
      const gzFile = join(work, 'backup.sql.gz');
      const store = localS3Client(s3.endpoint);
      const object = await store.send(new GetObjectCommand({ Bucket: 'bench', Key: result.key }));
      await pipeline(object.Body as Readable, createWriteStream(gzFile));
      // The key holds whichever run wrote it last: its own tag says its checksum.
      const sha256 = await readTaggedChecksum(store, s3Location, result.key);
      if (!sha256) throw new Error(`s3://bench/${result.key} carries no checksum tag`);
      const stockTarget = `${database}_stock`;
      const restoreTarget = `${database}_restored`;
      const restoreFile = join(work, 'restore.json');
      // Held to the object's ETag, as the orchestration holds a restore to the one recorded at backup time.
      const pin = { key: result.key, expectedSha256: sha256, ...(object.ETag && { etag: object.ETag }) };
      const restoreJob: RunnerJobInput = {
        mode: 'restore',
        connection: connection(database),
        password: { from: 'env' },
        s3: s3Location,
        ...pin,
        targetDatabase: restoreTarget,
      };
      await writeFile(restoreFile, JSON.stringify(restoreJob));
      // Restores are bound by the server: each starts with neither target present and InnoDB's dirty pages of the
      // previous one flushed, and the two alternate, so neither pays for the other's background writes.
      const [stockRun, restoreRun] = await medianPair(
        flags.runs,
        async () => {
          await db.sql(`CREATE DATABASE \`${stockTarget}\``);
          return measure(`gunzip -c ${gzFile} | mariadb ${client} ${stockTarget}`);
        },
        () => measure(`node ${RUNNER} ${restoreFile} 2>/dev/null`, env),
        async () => {
          await db.sql(`DROP DATABASE IF EXISTS \`${stockTarget}\`; DROP DATABASE IF EXISTS \`${restoreTarget}\``);
          await quiesce(db);
        },
      );
      const stock = add({ name: 'gunzip -c | mysql (stock restore)', m: stockRun, sqlBytes });
      const restore = add({ name: 'keepsake restore (checked first)', m: restoreRun, sqlBytes });
      const restoreRatio = stock.m.wallSeconds / restore.m.wallSeconds;
      console.log(ratio('keepsake restore speed vs gunzip -c | mysql', restoreRatio, '>= 0.9', restoreRatio >= 0.9));
      // A restore reads the whole object before its first statement (DESIGN.md, "Restore safety"); that read alone
      // is a verify job of the same object. Restore time without it is the difference: no restore skips it.
      const verifyFile = join(work, 'verify.json');
      await writeFile(verifyFile, JSON.stringify({ mode: 'verify', s3: s3Location, ...pin } satisfies RunnerJobInput));
      const check = add({
        name: 'up-front check alone (verify read)',
        m: await medianOf(flags.runs, () => measure(`node ${RUNNER} ${verifyFile} 2>/dev/null`, env)),
        sqlBytes,
      });
      const withoutCheck = restore.m.wallSeconds - check.m.wallSeconds;
      console.log(
        `  restore ${restore.m.wallSeconds.toFixed(2)} s with the up-front check, ~${withoutCheck.toFixed(2)} s without it: the check costs ${check.m.wallSeconds.toFixed(2)} s (${((100 * check.m.wallSeconds) / restore.m.wallSeconds).toFixed(0)}% of the restore)`,
      );
      console.log(
        ratio(
          'keepsake restore speed vs gunzip -c | mysql, less the check',
          stock.m.wallSeconds / withoutCheck,
          'info',
          true,
        ),
      );
      await db.sql(`DROP DATABASE IF EXISTS \`${stockTarget}\`; DROP DATABASE IF EXISTS \`${restoreTarget}\``);
    }
    if (runnerRss.length > 1) {
      const growth = Math.max(...runnerRss) / Math.min(...runnerRss);
      console.log(
        `\nrunner peak RSS across sizes: ${runnerRss.map((r) => `${r.toFixed(0)} MB`).join(', ')} (max/min ${growth.toFixed(2)}: constant memory means ~1)`,
      );
    }
  } finally {
    await Promise.all([db.stop(), s3.stop()]);
  }
}

await main();
