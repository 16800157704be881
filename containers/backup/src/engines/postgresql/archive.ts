import { spawn, type ChildProcess } from 'node:child_process';
import { Transform, type TransformCallback } from 'node:stream';
import type { JobContext } from '../../context.ts';
import { waitForExit, type ExitStatus } from '../../processes.ts';
import type { DumpFormatReader, DumpVerdict, DumpWatch, WatchPurpose } from '../engine.ts';
import { detectPgTools, withoutPgVariables } from './tools.ts';

/** Every custom-format archive starts with these bytes (pg_backup_archiver.c). */
const MAGIC = Buffer.from('PGDMP');

/**
 * A TOC entry of `pg_restore -l`: `dumpId; catalogOid objectOid DESC …`. A table or partitioned table is a `TABLE`
 * of catalog pg_class (OID 1259 in every version); its `TABLE DATA` has catalog 0, views and sequences other DESCs.
 */
const TOC_TABLE = /^\d+; 1259 \d+ TABLE /;

/** The number of tables in a `pg_restore -l` listing. */
export function tocTables(listing: string): number {
  return listing.split('\n').filter((line) => TOC_TABLE.test(line)).length;
}

interface Reader {
  readonly child: ChildProcess;
  readonly exited: Promise<ExitStatus>;
  /** False once the child stopped reading (`pg_restore -l` stops after the TOC): it is fed no more. */
  open: boolean;
}

/**
 * Passes an archive through while feeding each pg_restore child a copy, waiting for any that is slow (so memory
 * stays bounded); one that has stopped reading is left behind. Destroyed, it kills them.
 */
class ArchiveTee extends Transform {
  bytes = 0;
  head: Buffer = Buffer.alloc(0);

  constructor(private readonly readers: readonly Reader[]) {
    super({ highWaterMark: 1024 * 1024 });
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, callback: TransformCallback): void {
    if (this.head.length < MAGIC.length) this.head = Buffer.concat([this.head, chunk.subarray(0, MAGIC.length)]);
    this.bytes += chunk.length;
    const waits = this.readers
      .filter((reader) => reader.open && !reader.child.stdin!.write(chunk))
      .map(
        (reader) =>
          new Promise<void>((resolve) => {
            const done = (): void => {
              reader.child.stdin!.off('drain', done);
              reader.child.off('close', done);
              resolve();
            };
            reader.child.stdin!.once('drain', done);
            reader.child.once('close', done);
          }),
      );
    if (waits.length === 0) callback(null, chunk);
    else void Promise.all(waits).then(() => callback(null, chunk));
  }

  override _flush(callback: TransformCallback): void {
    for (const reader of this.readers) if (reader.open) reader.child.stdin!.end();
    callback();
  }

  /** Also called once the stream ended well (autoDestroy): the readers then finish reading what they were given. */
  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (error || !this.writableFinished) for (const reader of this.readers) reader.child.kill('SIGKILL');
    callback(error);
  }
}

/** Why a reader failed, in pg_restore's words. */
function readerProblem(what: string, status: ExitStatus): string {
  const said = status.stderr
    .split('\n')
    .filter((line) => line.trim() !== '')
    .slice(-2)
    .join(' | ');
  const how = status.signal ? `was killed by ${status.signal}` : `exited with code ${status.code}`;
  return `${what}: pg_restore ${how}${said ? `: ${said}` : ''}`;
}

/**
 * pg_dump's custom archive (`-Fc`), gzipped. Whole, as each purpose needs it:
 * - backup: pg_dump exited 0 (it checks every write and exits non-zero on any failure, a signal included; the format
 *   has no trailer to look for), and `pg_restore -l` read the header and the TOC, which a non-seekable archive
 *   carries first: that also counts its tables;
 * - check (verify, and before a restore): that, and `pg_restore -f /dev/null` read every data block through: it
 *   fails on a block cut short or missing ("could not find block ID"), which is how a truncated archive shows;
 * - restore: the pg_restore applying it reads it through in the same way, and its exit status says so.
 */
export const pgCustomReader: DumpFormatReader = {
  format: 'pgCustom',
  async watch(purpose: WatchPurpose, ctx: JobContext, env: NodeJS.ProcessEnv): Promise<DumpWatch> {
    if (purpose === 'restore') return countingWatch();
    const tools = await detectPgTools(ctx.env ?? process.env);
    const spawnReader = (args: readonly string[], stdout: 'pipe' | 'ignore'): Reader => {
      const child = spawn(tools.pgRestore, args, {
        stdio: ['pipe', stdout, 'pipe'],
        // It reads stdin only and connects nowhere: no PG* variable may send it elsewhere.
        env: withoutPgVariables(env),
      });
      ctx.onSpawn?.(child, 'pg_restore');
      const reader: Reader = { child, exited: waitForExit(child), open: true };
      const close = (): void => {
        reader.open = false;
      };
      child.stdin!.on('error', close);
      child.once('close', close);
      return reader;
    };
    const list = spawnReader(['--list'], 'pipe');
    let listing = '';
    list.child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (listing += chunk));
    const readers = purpose === 'check' ? [list, spawnReader(['--file=/dev/null'], 'ignore')] : [list];
    const tee = new ArchiveTee(readers);
    return {
      stage: tee,
      get bytes() {
        return tee.bytes;
      },
      async verdict(): Promise<DumpVerdict> {
        if (!tee.writableFinished) tee.destroy();
        const [listed, read] = await Promise.all(readers.map((r) => r.exited.catch(() => undefined)));
        if (!tee.head.equals(MAGIC) && tee.bytes > 0)
          return { problem: 'the data inside is not a pg_dump custom-format archive (it does not start with PGDMP)' };
        if (!listed || listed.code !== 0)
          return {
            problem: listed ? readerProblem('its table of contents cannot be read', listed) : 'pg_restore did not run',
          };
        if (readers.length > 1 && (!read || read.code !== 0))
          return {
            problem: read ? readerProblem('the archive cannot be read through', read) : 'pg_restore did not run',
          };
        return { tables: tocTables(listing) };
      },
    };
  },
};

/** Counts the bytes a restore feeds pg_restore, which reads them through and fails on an archive that is not whole. */
function countingWatch(): DumpWatch {
  const counter = new (class extends Transform {
    bytes = 0;
    override _transform(chunk: Buffer, _enc: BufferEncoding, callback: TransformCallback): void {
      this.bytes += chunk.length;
      callback(null, chunk);
    }
  })();
  return {
    stage: counter,
    get bytes() {
      return counter.bytes;
    },
    verdict: () => Promise.resolve({ tables: 0 }),
  };
}
