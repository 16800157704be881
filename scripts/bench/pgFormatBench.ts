/**
 * `npm run bench:pg`: which PostgreSQL backup format Keepsake should write, measured on this machine in one run.
 * Generates pgbench data of each requested scale in a throwaway PostgreSQL 15, then dumps it in each candidate
 * format (every dump written through a pipe, as the runner streams it to S3) and restores each with its stock
 * command, printing wall time, CPU%, peak RSS of the pipeline's largest process and the output size. Figures, not
 * pass/fail tests.
 *
 *   npm run bench:pg -- --scale 17,68 --runs 3     (about 250 MB and 1 GB on disk)
 *   npm run bench:pg -- --quick                    (scale 4, one run: a smoke test of the bench itself)
 *   npm run bench:pg -- --filler hex               (accounts' filler as random hex: pgbench's blanks compress
 *                                                   to 3%, which hides what compression costs; hex is near 50%)
 */
import { execFile } from 'node:child_process';
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify, parseArgs } from 'node:util';
import * as z from 'zod';
import { describeZodError } from '../../types/zodMessages.ts';
import type { BackupResult, RunnerJobInput } from '../../types/job.ts';
import { startPostgres, type LocalPostgres } from '../local/postgres.ts';
import { S3RVER_CREDENTIALS, startS3rver } from '../local/s3rver.ts';
import { formatRow, measure, medianRun, type Measurement } from './measure.ts';

const execFileAsync = promisify(execFile);

const FlagsSchema = z.object({
  scales: z
    .string()
    .regex(/^\d+(,\d+)*$/, '--scale takes pgbench scale factors separated by commas, e.g. 17,68')
    .transform((s) => s.split(',').map(Number))
    .refine((scales) => scales.every((n) => n >= 1 && n <= 2000), '--scale factors must be between 1 and 2000'),
  runs: z.coerce.number().int('--runs must be a whole number').min(1).max(9),
  skipRestore: z.boolean(),
  filler: z.enum(['blank', 'hex'], { error: '--filler is blank (pgbench as it comes) or hex (random hex text)' }),
});

const ROOT = resolve('.keepsake/bench');
const RUNNER = resolve('containers/backup/dist/runner.mjs');

/** A dump pipeline: `command` writes the backup to stdout; `file` is where the bench keeps it for the restores. */
interface DumpCandidate {
  readonly name: string;
  readonly command: string;
  readonly file: string;
}

/** A restore: `prepare` (outside the measurement) readies its input; `command` restores into database $TARGET. */
interface RestoreCandidate {
  readonly name: string;
  readonly command: string;
  readonly prepare?: string;
}

/**
 * Every candidate once per round, rounds repeated `runs` times, each kept at its median: drift during the bench
 * (page cache, the server's checkpoints, others' load on a shared machine) weighs on all alike.
 */
async function medianRounds<T>(
  runs: number,
  candidates: readonly T[],
  once: (candidate: T) => Promise<Measurement>,
): Promise<Measurement[]> {
  const results: Measurement[][] = candidates.map(() => []);
  for (let i = 0; i < runs; i++) {
    for (const [index, candidate] of candidates.entries()) results[index]?.push(await once(candidate));
  }
  return results.map(medianRun);
}

async function prepareDatabase(
  db: LocalPostgres,
  env: NodeJS.ProcessEnv,
  name: string,
  scale: number,
  filler: 'blank' | 'hex',
) {
  const accounts = await db.psql(`SELECT count(*) FROM pgbench_accounts`, name).catch(() => '');
  if (Number(accounts.trim()) === scale * 100_000) return;
  console.log(`generating ${name}: pgbench -i -s ${scale} (${scale * 100_000} accounts)…`);
  await db.psql(`DROP DATABASE IF EXISTS ${name}`);
  await db.psql(`CREATE DATABASE ${name} OWNER ${db.user}`);
  // As the application user, so the dumps name it as the owner and it can restore them without a superuser.
  await measure(`"$PGBIN/pgbench" -i -q -s ${scale} ${name} > /dev/null 2>&1`, env);
  if (filler === 'hex') {
    await db.psql(
      `UPDATE pgbench_accounts SET filler = md5(aid::text) || md5((aid * 7)::text); VACUUM FULL pgbench_accounts`,
      name,
    );
  }
}

/** The object size of the runner's result line; a failed run stops the bench with its error. */
function runnerBytes(resultLine: string): number {
  const result = JSON.parse(resultLine) as BackupResult | { ok: false; error: string };
  if (!result.ok) throw new Error(`the runner failed: ${result.error}`);
  return result.compressedBytes;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      scale: { type: 'string', default: '17,68' },
      runs: { type: 'string', default: '3' },
      quick: { type: 'boolean', default: false },
      'skip-restore': { type: 'boolean', default: false },
      filler: { type: 'string', default: 'blank' },
    },
  });
  const parsed = FlagsSchema.safeParse({
    scales: values.quick ? '4' : values.scale,
    runs: values.quick ? '1' : values.runs,
    skipRestore: values['skip-restore'],
    filler: values.filler,
  });
  if (!parsed.success) {
    console.error(`bench: ${describeZodError(parsed.error)}`);
    process.exit(2);
  }
  const flags = parsed.data;
  await mkdir(ROOT, { recursive: true });
  // Durable, as a real server: restores are bound by its WAL and checkpoints. max_wal_size keeps checkpoints from
  // being forced every GB of WAL, as most production servers are tuned.
  const db = await startPostgres(join(ROOT, 'postgres'), { sharedBuffersMb: 1024, settings: ['max_wal_size=8GB'] });
  // The runner's row: a PostgreSQL backup job of the same database, streamed into a local S3 (`npm run build:runner`).
  const s3 = await startS3rver(join(ROOT, 'pg-s3'), 'bench');
  const work = join(ROOT, 'pg-work');
  await rm(work, { recursive: true, force: true });
  await mkdir(work, { recursive: true });
  // Stock tools connect as the runner will: TCP, the application user, TLS, the password from a private pgpass.
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PGBIN: db.binDir,
    PGHOST: '127.0.0.1',
    PGPORT: String(db.port),
    PGUSER: db.user,
    PGPASSFILE: db.passFile,
    PGSSLMODE: 'require',
    KEEPSAKE_DB_PASSWORD: db.password,
    KEEPSAKE_PG_CLIENT_DIR: db.binDir,
    AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
    AWS_REGION: 'us-east-1',
  };
  const versions = await Promise.all(
    ['pg_dump --version', 'igzip --version', 'pigz --version', 'gzip --version'].map(async (c) => {
      const [cmd = '', ...args] = c.split(' ');
      const { stdout, stderr } = await execFileAsync(cmd === 'pg_dump' ? join(db.binDir, cmd) : cmd, args);
      return (stdout || stderr).split('\n')[0];
    }),
  );
  console.log(`tools: ${versions.join('; ')}; TLS (sslmode=require) on loopback`);

  try {
    for (const scale of flags.scales) {
      const database = `pgbench_s${scale}${flags.filler === 'hex' ? '_hex' : ''}`;
      await prepareDatabase(db, env, database, scale, flags.filler);
      const dump = `"$PGBIN/pg_dump" -d ${database}`;
      const sqlBytes = Number((await measure(`${dump} | wc -c`, env)).stdout.trim());
      const dbBytes = Number(await db.psql(`SELECT pg_database_size('${database}')`));
      console.log(
        `\n== ${database}: ${(dbBytes / 1e6).toFixed(0)} MB on disk, ${(sqlBytes / 1e6).toFixed(0)} MB of SQL, median of ${flags.runs} run(s) ==`,
      );
      const file = (name: string) => join(work, name);
      const runnerJob: RunnerJobInput = {
        mode: 'backup',
        sourceId: 'bench',
        connection: {
          engine: 'postgresql',
          host: '127.0.0.1',
          port: db.port,
          database,
          username: db.user,
          tls: { mode: 'required' },
        },
        password: { from: 'env' },
        s3: { bucket: 'bench', endpoint: s3.endpoint, region: 'us-east-1', forcePathStyle: true },
        key: `bench/${database}/runner.dump.gz`,
      };
      await writeFile(file('runner-job.json'), JSON.stringify(runnerJob));
      // Each written through `| cat >`: the runner streams to S3, so pg_dump never gets a seekable output (a custom
      // archive then has no data offsets in its table of contents).
      const dumps: DumpCandidate[] = [
        { name: 'pg_dump > /dev/null (floor)', command: dump, file: '/dev/null' },
        { name: '(a) pg_dump | igzip -1', command: `${dump} | igzip -1`, file: file('a.sql.gz') },
        { name: '(b) pg_dump -Fc (default compression)', command: `${dump} -Fc`, file: file('b.dump') },
        { name: '(b1) pg_dump -Fc -Z1', command: `${dump} -Fc -Z1`, file: file('b1.dump') },
        { name: '(c) pg_dump -Fc -Z0 | igzip -1', command: `${dump} -Fc -Z0 | igzip -1`, file: file('c.dump.gz') },
        { name: '(d) pg_dump | gzip -6 (reference)', command: `${dump} | gzip -6`, file: file('d.sql.gz') },
        { name: '(e) pg_dump | pigz -1 -p2 (reference)', command: `${dump} | pigz -1 -p2`, file: file('e.sql.gz') },
        // Its output is its result line; the size is the object's (compressedBytes).
        {
          name: '(k) keepsake runner → s3rver (format c)',
          command: `node ${RUNNER} ${file('runner-job.json')} 2>/dev/null`,
          file: file('runner-result.json'),
        },
      ];
      const dumpRuns = await medianRounds(flags.runs, dumps, async ({ command, file: out }) => {
        const m = await measure(out === '/dev/null' ? `${command} > /dev/null` : `${command} | cat > ${out}`, env);
        await measure('sync');
        return m;
      });
      for (const [i, candidate] of dumps.entries()) {
        const m = dumpRuns[i] as Measurement;
        const outBytes =
          candidate.file === '/dev/null'
            ? undefined
            : candidate.file.endsWith('.json')
              ? runnerBytes(await readFile(candidate.file, 'utf8'))
              : (await stat(candidate.file)).size;
        console.log(
          formatRow({ name: candidate.name, m, sqlBytes, ...(outBytes !== undefined && { outBytes }) }, 52, true),
        );
      }

      if (flags.skipRestore) continue;
      console.log('restores (stock commands; into an empty database owned by the application user):');
      const psql = `"$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -d "$TARGET" > /dev/null`;
      const pgRestore = `"$PGBIN/pg_restore" --exit-on-error -d "$TARGET"`;
      const restores: RestoreCandidate[] = [
        { name: '(a) gunzip -c | psql', command: `gunzip -c ${file('a.sql.gz')} | ${psql}` },
        { name: '(a) igzip -dc | psql', command: `igzip -dc ${file('a.sql.gz')} | ${psql}` },
        { name: '(b) pg_restore file', command: `${pgRestore} ${file('b.dump')}` },
        { name: '(b) pg_restore -j2 file', command: `${pgRestore} -j2 ${file('b.dump')}` },
        { name: '(c) gunzip -c | pg_restore (stdin)', command: `gunzip -c ${file('c.dump.gz')} | ${pgRestore}` },
        {
          name: '(c) pg_restore -j2 file, after gunzip to disk',
          prepare: `gunzip -c ${file('c.dump.gz')} > ${file('c.dump')}`,
          command: `${pgRestore} -j2 ${file('c.dump')}`,
        },
      ];
      const target = `${database}_restored`;
      const restoreRuns = await medianRounds(flags.runs, restores, async ({ command, prepare }) => {
        // Each starts on an empty target and a checkpointed server, so none pays for another's writes.
        await db.psql(`DROP DATABASE IF EXISTS ${target}`);
        await db.psql(`CREATE DATABASE ${target} OWNER ${db.user}`);
        if (prepare) await measure(prepare, env);
        await db.psql('CHECKPOINT');
        await measure('sync');
        const m = await measure(command, { ...env, TARGET: target });
        const accounts = Number((await db.psql('SELECT count(*) FROM pgbench_accounts', target)).trim());
        if (accounts !== scale * 100_000) throw new Error(`${command} restored ${accounts} accounts`);
        return m;
      });
      for (const [i, candidate] of restores.entries())
        console.log(formatRow({ name: candidate.name, m: restoreRuns[i] as Measurement, sqlBytes }, 52, true));
      const fromPipe = await measure(
        `gunzip -c ${file('c.dump.gz')} | "$PGBIN/pg_restore" -j2 -d "$TARGET" 2>&1 || true`,
        { ...env, TARGET: target },
      );
      console.log(`  pg_restore -j2 from a pipe: ${fromPipe.stdout.trim() || 'accepted'}`);
      await db.psql(`DROP DATABASE IF EXISTS ${target}`);
    }
  } finally {
    await db.stop();
    await s3.stop();
  }
}

await main();
