import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { expect } from 'vitest';
import type { SeenRequest } from './faultyS3Proxy.ts';
import { mariadb } from './services.ts';
import { rootSql } from './sql.ts';

/**
 * What the tests of a stopped runner need: a backup held mid-upload, and the host's view of processes (/proc) to
 * prove that no child of the runner outlives it.
 */

/**
 * Creates `database` with ~6 MB of incompressible rows dumped before `z_locked` (mysqldump goes alphabetically): a
 * dump that meets `holdTableLock(database)` stalls with a 5 MiB part uploaded and the next one under way.
 */
export async function createStallableDatabase(database: string): Promise<void> {
  await rootSql(`DROP DATABASE IF EXISTS ${database}; CREATE DATABASE ${database};`);
  await rootSql(
    `CREATE TABLE a_bulk (id INT PRIMARY KEY, payload BLOB);
     INSERT INTO a_bulk SELECT seq, RANDOM_BYTES(1000) FROM seq_1_to_6000;
     CREATE TABLE z_locked (id INT PRIMARY KEY);
     INSERT INTO z_locked VALUES (1);`,
    database,
  );
}

/** A root session holding `LOCK TABLES z_locked WRITE` until it is killed: a dump or restore of it waits. */
export function holdTableLock(database: string): ChildProcess {
  return spawn(
    'mariadb',
    [
      '--no-defaults',
      `--socket=${mariadb().socket}`,
      '-uroot',
      database,
      '-e',
      'LOCK TABLES z_locked WRITE; SELECT SLEEP(300);',
    ],
    { stdio: 'ignore' },
  );
}

/** Polls `probe` every 100 ms until it returns a value other than undefined. */
export async function waitFor<T>(
  what: string,
  timeoutMs: number,
  probe: () => T | undefined | Promise<T | undefined>,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

interface HostProcess {
  readonly pid: number;
  readonly ppid: number;
  readonly state: string;
  readonly comm: string;
}

function hostProcesses(): HostProcess[] {
  const found: HostProcess[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // `pid (comm) state ppid …`; comm may hold spaces and parentheses, so split at the last `)`.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      const [state = '', ppid = ''] = stat.slice(close + 2).split(' ');
      found.push({ pid: Number(entry), ppid: Number(ppid), state, comm: stat.slice(stat.indexOf('(') + 1, close) });
    } catch {
      // Ended while the directory was read.
    }
  }
  return found;
}

/** Every process below `pid` (children, their children, …), as the host sees them. */
export function descendantsOf(pid: number): HostProcess[] {
  const all = hostProcesses();
  const below: HostProcess[] = [];
  let parents = new Set([pid]);
  while (parents.size > 0) {
    const children = all.filter((p) => parents.has(p.ppid));
    below.push(...children);
    parents = new Set(children.map((p) => p.pid));
  }
  return below;
}

/** Whether `pid` is a live process (a zombie has ended: only its exit status is left to collect). */
export function isRunning(pid: number): boolean {
  return hostProcesses().some((p) => p.pid === pid && p.state !== 'Z');
}

/** The `NAME=value` entries of a process's environment (readable as root or as its owner); none once it has ended. */
export function environOf(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
  } catch {
    return [];
  }
}

/** Host pids of the processes whose environment holds `name=value` (`comm`: only processes of that name, e.g. `node`). */
export function pidsWithEnv(name: string, value: string, comm?: string): number[] {
  return hostProcesses()
    .filter((p) => (comm === undefined || p.comm === comm) && environOf(p.pid).includes(`${name}=${value}`))
    .map((p) => p.pid);
}

/**
 * Asserts, from what the S3 proxy saw, that every multipart upload started for `key` was aborted and none completed.
 * s3rver implements neither AbortMultipartUpload (it answers 405 and keeps the parts) nor ListMultipartUploads, so
 * the calls are the evidence; AWS deletes an aborted upload's parts.
 */
export function expectUploadsAborted(requests: readonly SeenRequest[], key: string): void {
  const forKey = requests.filter((r) => decodeURIComponent(r.path).endsWith(`/${key}`));
  const started = forKey
    .filter((r) => r.method === 'PUT' && r.query.has('uploadId'))
    .map((r) => r.query.get('uploadId'));
  const uploadIds = [...new Set(started)];
  expect(uploadIds.length, 'parts were uploaded before the stop').toBeGreaterThan(0);
  for (const uploadId of uploadIds) {
    expect(
      forKey.filter((r) => r.method === 'DELETE' && r.query.get('uploadId') === uploadId),
      `AbortMultipartUpload of ${uploadId}`,
    ).toHaveLength(1);
  }
  expect(
    forKey.filter((r) => r.method === 'POST' && r.query.has('uploadId')),
    'CompleteMultipartUpload',
  ).toEqual([]);
}
