import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  fargateSandbox,
  runnerImage,
  runnerTaskDefinition,
  RUNNER_IMAGE_DIR,
} from '../../scripts/local/fargateTask.ts';
import { keepsakeTemplate } from '../../scripts/local/stack.ts';
import { startFaultyS3Proxy, type FaultyS3Proxy } from '../support/faultyS3Proxy.ts';
import { backupJob, dropDatabases, keysUnder } from '../support/runner.ts';
import { jobEnv, mariadb, s3Location, services } from '../support/services.ts';
import {
  createStallableDatabase,
  descendantsOf,
  expectUploadsAborted,
  holdTableLock,
  isRunning,
  waitFor,
} from '../support/stoppedRunners.ts';

const DB = 'stop_mid_upload';
const RUNNER = join(RUNNER_IMAGE_DIR, 'dist', 'runner.mjs');
/** Well within ECS's 30 s stop timeout, which ends in SIGKILL. */
const STOP_BUDGET_MS = 10_000;

let proxy: FaultyS3Proxy;

beforeAll(async () => {
  await createStallableDatabase(DB);
  // Forwards everything: it only records the multipart calls (s3rver cannot list uploads).
  proxy = await startFaultyS3Proxy(services().s3.endpoint, () => false);
}, 120_000);

afterAll(async () => {
  await proxy?.close();
  await dropDatabases(DB);
});

interface Ended {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly afterStopMs: number;
}

/** Starts `command` and collects its output; `ended(stoppedAt)` resolves when it exits. */
function start(command: string, args: string[], options: { env?: NodeJS.ProcessEnv; infoFd?: boolean } = {}) {
  const child: ChildProcess = spawn(command, args, {
    env: options.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe', ...(options.infoFd ? ['pipe' as const] : [])],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('close', (code, signal) => resolve({ code, signal })),
  );
  return {
    child,
    output: () => ({ stdout, stderr }),
    async ended(stoppedAt: number): Promise<Ended> {
      const { code, signal } = await closed;
      return { code, signal, stdout, stderr, afterStopMs: Date.now() - stoppedAt };
    },
  };
}

/** Waits until the proxy has seen part 1 of `key` stored: the dump is stalled with a multipart upload under way. */
const partUploaded = (key: string) =>
  waitFor(`part 1 of ${key}`, 60_000, () =>
    proxy.requests.find(
      (r) => r.method === 'PUT' && r.query.get('partNumber') === '1' && r.status === 200 && r.path.endsWith(key),
    ),
  );

/** The runner's one stdout line after a stop: a failure naming the signal, never a success. */
function expectStoppedFailure(ended: Ended, signal: NodeJS.Signals): void {
  expect(ended.afterStopMs, ended.stderr).toBeLessThan(STOP_BUDGET_MS);
  expect(ended.code, ended.stderr).toBe(1);
  const lines = ended.stdout.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(JSON.parse(lines[0] ?? '')).toEqual({
    ok: false,
    mode: 'backup',
    error: expect.stringMatching(new RegExp(`^stopped by ${signal}`)),
  });
  expect(ended.stderr).toMatch(new RegExp(`"event":"failed","error":"stopped by ${signal}`));
}

describe.runIf(services().mariadb !== null)('a runner asked to stop mid-upload leaves nothing behind', () => {
  // Run outside the sandbox so that its temporary directory is a host directory this test can look into: in the
  // sandbox /tmp is the task's private tmpfs, gone with the task and invisible from here.
  it.each(['SIGTERM', 'SIGINT'] as const)(
    'on %s: children killed, multipart upload aborted, option file removed, failure line, exit 1',
    async (signal) => {
      const sourceId = `stop-${signal.toLowerCase()}`;
      const key = `${sourceId}/${DB}/stopped.sql.gz`;
      const tmp = await mkdtemp(join(tmpdir(), 'keepsake-stop-'));
      const lock = holdTableLock(DB);
      try {
        const job = backupJob(DB, { sourceId, key, partSizeMiB: 5, s3: { ...s3Location(), endpoint: proxy.endpoint } });
        const runner = start(process.execPath, [RUNNER, JSON.stringify(job)], { env: { ...jobEnv(), TMPDIR: tmp } });
        await partUploaded(key);
        const [optionDir] = await readdir(tmp);
        expect(existsSync(join(tmp, optionDir ?? '', 'client.cnf')), 'the option file exists while the dump runs').toBe(
          true,
        );
        const children = descendantsOf(runner.child.pid ?? 0);
        expect(children.map((p) => p.comm)).toEqual(expect.arrayContaining(['mariadb-dump', 'igzip']));

        const stoppedAt = Date.now();
        runner.child.kill(signal);
        const ended = await runner.ended(stoppedAt);

        expectStoppedFailure(ended, signal);
        expect(children.filter((p) => isRunning(p.pid))).toEqual([]);
        expect(await readdir(tmp), 'no option file or CA file is left').toEqual([]);
        expectUploadsAborted(proxy.requests, key);
        expect(await keysUnder(`${sourceId}/`)).toEqual([]);
      } finally {
        lock.kill('SIGKILL');
        await rm(tmp, { recursive: true, force: true });
      }
    },
    90_000,
  );

  it('as PID 1 of its sandbox (no init, as in Fargate), SIGTERM to the runner stops it the same way', async () => {
    const sourceId = 'stop-pid1';
    const key = `${sourceId}/${DB}/stopped.sql.gz`;
    const lock = holdTableLock(DB);
    let bwrap: ReturnType<typeof start> | undefined;
    try {
      const job = backupJob(DB, { sourceId, key, partSizeMiB: 5, s3: { ...s3Location(), endpoint: proxy.endpoint } });
      const sandbox = fargateSandbox({
        task: runnerTaskDefinition(keepsakeTemplate()),
        image: runnerImage(),
        overrides: { KEEPSAKE_JOB: JSON.stringify(job), KEEPSAKE_DB_PASSWORD: mariadb().password },
        platform: { AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER' },
        infoFd: 3,
      });
      const sandboxed = start(sandbox.command, sandbox.args, { infoFd: true, env: sandbox.env });
      bwrap = sandboxed;
      let info = '';
      for await (const chunk of sandboxed.child.stdio[3] as Readable) info += String(chunk);
      const runnerPid = (JSON.parse(info) as { 'child-pid': number })['child-pid'];
      await partUploaded(key);
      const children = descendantsOf(runnerPid);
      expect(children.map((p) => p.comm)).toEqual(expect.arrayContaining(['mariadb-dump', 'igzip']));

      const stoppedAt = Date.now();
      process.kill(runnerPid, 'SIGTERM');
      const ended = await Promise.race([
        sandboxed.ended(stoppedAt),
        // PID 1 without a handler ignores SIGTERM: what ECS would end with SIGKILL after 30 s.
        new Promise<never>((_, reject) =>
          setTimeout(
            () =>
              reject(new Error(`the runner ignored SIGTERM for ${STOP_BUDGET_MS} ms: ${sandboxed.output().stderr}`)),
            STOP_BUDGET_MS,
          ),
        ),
      ]);

      expectStoppedFailure(ended, 'SIGTERM');
      expect(children.filter((p) => isRunning(p.pid))).toEqual([]);
      expectUploadsAborted(proxy.requests, key);
      expect(await keysUnder(`${sourceId}/`)).toEqual([]);
    } finally {
      bwrap?.child.kill('SIGKILL');
      lock.kill('SIGKILL');
    }
  }, 90_000);
});
