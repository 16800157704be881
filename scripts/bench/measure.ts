import { spawn } from 'node:child_process';

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

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** Runs `once` `runs` times and keeps the run with the median wall time (its CPU and RSS come with it). */
export async function medianOf(runs: number, once: () => Promise<Measurement>): Promise<Measurement> {
  const all: Measurement[] = [];
  for (let i = 0; i < runs; i++) all.push(await once());
  return medianRun(all);
}

/** The run with the median wall time. */
function medianRun(all: readonly Measurement[]): Measurement {
  const wall = median(all.map((m) => m.wallSeconds));
  return all.reduce((best, m) => (Math.abs(m.wallSeconds - wall) < Math.abs(best.wallSeconds - wall) ? m : best));
}

/**
 * Two contenders measured alternately (a, b, a, b, …) and each kept at its median: whatever drifts during a bench
 * (page cache, the server's background flushing, CPU clocks) then weighs on both alike, which back-to-back blocks
 * of runs do not guarantee. `before` runs ahead of every run, outside the measurement.
 */
export async function medianPair(
  runs: number,
  a: () => Promise<Measurement>,
  b: () => Promise<Measurement>,
  before: () => Promise<void> = async () => undefined,
): Promise<[Measurement, Measurement]> {
  const results: [Measurement[], Measurement[]] = [[], []];
  for (let i = 0; i < runs; i++) {
    await before();
    results[0].push(await a());
    await before();
    results[1].push(await b());
  }
  return [medianRun(results[0]), medianRun(results[1])];
}
