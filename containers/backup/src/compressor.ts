import { spawn } from 'node:child_process';
import { Duplex } from 'node:stream';
import type { BackupJob } from '../../../types/job.ts';
import { firstOnPath } from './binaries.ts';
import type { JobContext } from './context.ts';
import { RunnerError } from './errors.ts';
import { describeExit, waitForExit } from './processes.ts';
import { ParallelGzip } from './parallelGzip.ts';
import { childEnv } from './passwordSource.ts';

/** A gzip stage of the backup pipeline, and a promise that rejects if it failed in a way the stream hides. */
export interface Compressor {
  readonly name: string;
  readonly stream: Duplex;
  readonly finished: Promise<void>;
}

/** zlib levels 1-9 onto ISA-L's 0-3: 1 stays the fastest, 6+ asks for its best. */
export function igzipLevel(zlibLevel: number): number {
  if (zlibLevel <= 1) return 1;
  return zlibLevel < 6 ? 2 : 3;
}

/**
 * Picks the compressor. ISA-L's `igzip` (Debian/Ubuntu package `isal`) compresses ~3.5× faster than zlib per
 * core at a similar ratio (see `npm run bench`), which on a 2-core task leaves the dump its own core. Without
 * it, zlib runs on every core as parallel gzip members. Both write a standard `.gz` that `gunzip` reads.
 */
export async function createCompressor(job: BackupJob, ctx: JobContext): Promise<Compressor> {
  const env = ctx.env ?? process.env;
  const igzip = job.compressor === 'zlib' ? undefined : await firstOnPath(['igzip'], env);
  if (job.compressor === 'igzip' && !igzip)
    throw new RunnerError('compressor igzip was requested but is not on PATH (install the isal package)');
  if (!igzip) {
    const stream = new ParallelGzip({ level: job.compressionLevel, concurrency: job.compressionParallelism });
    return { name: `zlib-${job.compressionLevel}`, stream, finished: Promise.resolve() };
  }
  const level = igzipLevel(job.compressionLevel);
  const child = spawn(igzip, [`-${level}`, '-c'], { stdio: ['pipe', 'pipe', 'pipe'], env: childEnv(job.password) });
  ctx.onSpawn?.(child, 'igzip');
  const finished = waitForExit(child).then((status) => {
    if (status.code !== 0) throw new RunnerError(describeExit('igzip', status));
  });
  finished.catch(() => undefined);
  return { name: `igzip-${level}`, stream: Duplex.from({ writable: child.stdin, readable: child.stdout }), finished };
}
