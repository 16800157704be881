import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** What one command cost: wall seconds, CPU% (user+sys over wall, all its processes) and the largest RSS. */
export interface Measurement {
  readonly wallSeconds: number;
  readonly cpuPercent: number;
  readonly peakRssMb: number;
  readonly stdout: string;
}

/**
 * Runs `bash -c script` under GNU time, which reports the children's rusage: CPU of every process in the
 * pipeline, and the peak RSS of its largest process.
 */
export async function measure(script: string, env: NodeJS.ProcessEnv = process.env): Promise<Measurement> {
  const child = spawn('/usr/bin/time', ['-f', 'KEEPSAKE_TIME %e %P %M', 'bash', '-o', 'pipefail', '-c', script], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr = (stderr + c).slice(-20_000)));
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  const line = stderr.split('\n').find((l) => l.startsWith('KEEPSAKE_TIME '));
  if (code !== 0 || !line) throw new Error(`benchmark step failed (exit ${code}): ${script}\n${stderr}`);
  const [, wall = '0', cpu = '0', rssKb = '0'] = line.split(' ');
  return { wallSeconds: Number(wall), cpuPercent: Number.parseInt(cpu, 10), peakRssMb: Number(rssKb) / 1024, stdout };
}

/** CPU seconds (user + system) a running process has used so far, from /proc (Linux clock ticks of 1/100 s). */
export function processCpuSeconds(pid: number): number {
  // Fields after the command name, which may itself hold spaces and parentheses: utime and stime are the 12th and 13th.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** `measure`, plus the CPU seconds another process (a server the command talks to) used meanwhile. */
export async function measureWithServer(
  script: string,
  env: NodeJS.ProcessEnv,
  serverPid: number,
): Promise<Measurement & { readonly serverCpuSeconds: number }> {
  const before = processCpuSeconds(serverPid);
  const m = await measure(script, env);
  return { ...m, serverCpuSeconds: processCpuSeconds(serverPid) - before };
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** Runs `once` `runs` times and keeps the run with the median wall time (its CPU and RSS come with it). */
export async function medianOf<T extends Measurement>(runs: number, once: () => Promise<T>): Promise<T> {
  const all: T[] = [];
  for (let i = 0; i < runs; i++) all.push(await once());
  return medianRun(all);
}

/** The run with the median wall time. */
export function medianRun<T extends Measurement>(all: readonly T[]): T {
  const wall = median(all.map((m) => m.wallSeconds));
  return all.reduce((best, m) => (Math.abs(m.wallSeconds - wall) < Math.abs(best.wallSeconds - wall) ? m : best));
}

/**
 * Two contenders measured alternately (a, b, a, b, …) and each kept at its median: whatever drifts during a bench
 * (page cache, the server's background flushing, CPU clocks) then weighs on both alike, which back-to-back blocks
 * of runs do not guarantee. `before` runs ahead of every run, outside the measurement.
 */
export async function medianPair<A extends Measurement, B extends Measurement>(
  runs: number,
  a: () => Promise<A>,
  b: () => Promise<B>,
  before: () => Promise<void> = async () => undefined,
): Promise<[A, B]> {
  const results: [A[], B[]] = [[], []];
  for (let i = 0; i < runs; i++) {
    await before();
    results[0].push(await a());
    await before();
    results[1].push(await b());
  }
  return [medianRun(results[0]), medianRun(results[1])];
}

/** One line of a bench's table: what ran, what it cost, and its output's size when it wrote one. */
export interface Row {
  readonly name: string;
  readonly m: Measurement;
  readonly sqlBytes: number;
  readonly outBytes?: number;
}

/** The row as a fixed-width line; `share` adds the output's size as a share of the SQL's. */
export function formatRow({ name, m, sqlBytes, outBytes }: Row, nameWidth: number, share = false): string {
  const mbps = sqlBytes / 1e6 / m.wallSeconds;
  const out = `${((outBytes ?? 0) / 1e6).toFixed(1)} MB out`;
  return [
    name.padEnd(nameWidth),
    `${m.wallSeconds.toFixed(2)} s`.padStart(9),
    `${mbps.toFixed(0)} MB/s`.padStart(10),
    `${m.cpuPercent}%`.padStart(6),
    `${m.peakRssMb.toFixed(0)} MB`.padStart(8),
    outBytes === undefined
      ? ''
      : share
        ? `${out} (${((100 * outBytes) / sqlBytes).toFixed(1)}%)`.padStart(22)
        : out.padStart(14),
  ].join(' ');
}
